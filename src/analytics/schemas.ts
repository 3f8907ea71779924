// The admin analytics and dashboard answers, and their queries.
import { z } from "@hono/zod-openapi";

const DateParam = (description: string) =>
  z.iso.date().optional().openapi({ description, example: "2031-01-31" });

const MovementsSchema = z.object({
  new_mrr: z.number().int(),
  expansion_mrr: z.number().int(),
  contraction_mrr: z.number().int(),
  churned_mrr: z.number().int(),
  reactivation_mrr: z.number().int(),
  net_new_mrr: z.number().int(),
  new_subscribers: z.number().int(),
  churned_subscribers: z.number().int(),
});

const ByPlan = z
  .record(z.string(), z.number().int())
  .openapi({ description: "Paying subscribers per plan code" });

/** A snapshot's totals, as every analytics answer shows them. */
const TotalsSchema = z.object({
  mrr: z.number().int(),
  arr: z.number().int(),
  paying_subscribers: z.number().int(),
  trials: z.number().int(),
});

export const SummarySchema = z
  .object({
    from: z.iso.date(),
    to: z.iso.date(),
    currencies: z.record(
      z.string(),
      TotalsSchema.extend({
        as_of: z.iso.date(),
        subscribers_by_plan: ByPlan,
        mrr_at_start: z.number().int(),
        paying_subscribers_at_start: z.number().int(),
        movements: MovementsSchema,
        logo_churn: z.number().nullable(),
        revenue_churn: z.number().nullable(),
        monthly_revenue_churn: z.number().nullable(),
        arpu: z.number().int().nullable(),
        ltv: z.number().int().nullable(),
        signups: z.number().int(),
        active_users: z.number().int(),
        avg_active_users: z.number().int(),
      }),
    ),
  })
  .openapi("AnalyticsSummary");

export const SeriesSchema = z
  .object({
    interval: z.enum(["day", "month"]),
    from: z.iso.date(),
    to: z.iso.date(),
    series: z.record(
      z.string(),
      z.array(
        MovementsSchema.extend(TotalsSchema.shape).extend({
          date: z.string().openapi({ description: "YYYY-MM-DD (day) or YYYY-MM (month)" }),
          subscribers_by_plan: ByPlan,
        }),
      ),
    ),
  })
  .openapi("MrrSeries");

export const DashboardSchema = z
  .object({
    users: z.object({ total: z.number().int(), active_today: z.number().int() }),
    subscribers: z.object({
      by_plan: z
        .record(z.string(), z.number().int())
        .openapi({ description: "Entitled (trialing, active, past_due) subscriptions per plan" }),
      by_status: z.record(z.string(), z.number().int()),
    }),
    mrr: z.record(z.string(), TotalsSchema.extend({ as_of: z.iso.date() })),
    failed_payments_7d: z.number().int(),
    failed_webhook_events_7d: z.number().int(),
  })
  .openapi("AdminDashboard");

export const SummaryQuery = z.object({
  from: DateParam("First day (UTC), inclusive; default: 29 days before `to`"),
  to: DateParam("Last day (UTC), inclusive; default: yesterday"),
});

export const MrrQuery = z.object({
  interval: z.enum(["day", "month"]).default("day"),
  from: DateParam("First day (UTC); default: 30 days, or 12 months, back"),
  to: DateParam("Last day (UTC), inclusive; default: yesterday"),
});
