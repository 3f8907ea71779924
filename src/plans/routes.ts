import { createRoute, z } from "@hono/zod-openapi";
import { asc, eq } from "drizzle-orm";
import type { Db } from "../db";
import { PlanFeaturesSchema } from "../db/plan-features";
import { type Plan, plans } from "../db/schema";
import { newRouter } from "../lib/context";
import { errorResponses, jsonContent } from "../lib/openapi";
import { limitsOf } from "../policy/policy";
import { limitByIp } from "../ratelimit/middleware";

const MoneySchema = z
  .object({
    amount: z.number().int().openapi({ description: "Minor units (cents)", example: 900 }),
    currency: z.string().openapi({ description: "ISO 4217, lower-case", example: "usd" }),
  })
  .openapi("Money");

export const LimitsSchema = z
  .object({
    minute: z.number().int().nullable(),
    hour: z.number().int().nullable(),
    day: z.number().int().nullable(),
    month: z.number().int().nullable(),
  })
  .openapi("PlanLimits", { description: "Requests per fixed UTC window; null: unlimited" });

export const PlanSchema = z
  .object({
    id: z.string().openapi({ example: "pln_pro" }),
    code: z.string().openapi({ example: "pro" }),
    name: z.string(),
    description: z.string().nullable(),
    prices: z.object({ month: MoneySchema, year: MoneySchema }),
    trial_days: z.number().int(),
    limits: LimitsSchema,
    features: PlanFeaturesSchema.openapi({
      description: "Flags (true/false), caps (numbers) and metered quotas ({limit, window})",
    }),
  })
  .openapi("Plan");

export const PlanListSchema = z.object({ data: z.array(PlanSchema) }).openapi("PlanList");

export function planView(plan: Plan) {
  return {
    id: plan.id,
    code: plan.code,
    name: plan.name,
    description: plan.description,
    prices: {
      month: { amount: plan.priceMonth, currency: plan.currency },
      year: { amount: plan.priceYear, currency: plan.currency },
    },
    trial_days: plan.trialDays,
    limits: limitsOf(plan),
    features: plan.features,
  };
}

/** The plans on offer, in display order. */
export async function activePlans(db: Db): Promise<Plan[]> {
  return db
    .select()
    .from(plans)
    .where(eq(plans.status, "active"))
    .orderBy(asc(plans.sortOrder), asc(plans.priceMonth), asc(plans.id));
}

/** GET /v1/plans — public: what a visitor can subscribe to. Limited per client IP. */
export const planRoutes = newRouter();
planRoutes.use("*", limitByIp);

planRoutes.openapi(
  createRoute({
    method: "get",
    path: "/",
    operationId: "plans.list",
    tags: ["plans"],
    summary: "The plans on offer, with prices, limits and features",
    responses: {
      200: jsonContent(PlanListSchema, "Active plans in display order"),
      ...errorResponses(429),
    },
  }),
  async (c) => c.json({ data: (await activePlans(c.var.db)).map(planView) }, 200),
);
