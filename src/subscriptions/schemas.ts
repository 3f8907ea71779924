import { z } from "@hono/zod-openapi";
import { INTERVALS, PROVIDERS, STANDINGS, SUBSCRIPTION_STATUSES } from "../db/schema";

const Interval = z.enum(INTERVALS);

export const SubscriptionSchema = z
  .object({
    id: z.string(),
    plan: z.object({ id: z.string(), code: z.string(), name: z.string() }).nullable(),
    interval: Interval,
    status: z.enum(SUBSCRIPTION_STATUSES),
    standing: z.enum(STANDINGS),
    provider: z.enum(PROVIDERS),
    cancel_at_period_end: z.boolean(),
    current_period_start: z.iso.datetime().nullable(),
    current_period_end: z.iso.datetime().nullable(),
    trial_end: z.iso.datetime().nullable(),
    scheduled_change: z
      .object({
        plan_id: z.string(),
        interval: Interval,
        at: z.iso.datetime().nullable().openapi({ description: "Same as effective_at" }),
        effective_at: z.iso.datetime().nullable().openapi({
          description:
            "When the change takes effect: the period end. The current plan and its limits hold until then.",
        }),
      })
      .nullable()
      .openapi({
        description:
          "A downgrade waiting for the period end, already arranged with the payment provider. Asking to change to the current plan calls it off.",
      }),
    created_at: z.iso.datetime(),
  })
  .openapi("Subscription");
