import { createRoute, z } from "@hono/zod-openapi";
import { asc, eq } from "drizzle-orm";
import { createMiddleware } from "hono/factory";
import type { Db } from "../db";
import { grants, PlanFeaturesSchema } from "../db/plan-features";
import { type Plan, plans } from "../db/schema";
import { type AppEnv, newRouter, principalOf } from "../lib/context";
import { ApiError } from "../lib/errors";
import { bearerSecurity, errorResponses, jsonContent } from "../lib/openapi";
import { featureNotInPlan, planRef } from "../policy/features";
import { planForUser } from "../policy/policy";
import { meter } from "../ratelimit/client";
import { rateLimitedError } from "../ratelimit/middleware";

const PlanRefSchema = z
  .object({ id: z.string(), code: z.string(), name: z.string() })
  .openapi("PlanRef");

export const EntitlementsSchema = z
  .object({
    plan: PlanRefSchema,
    features: PlanFeaturesSchema.openapi({
      description: "Flags (true/false), caps (numbers) and metered quotas ({limit, window})",
      example: { webhooks: true, max_api_keys: 5, exports: { limit: 50, window: "month" } },
    }),
  })
  .openapi("Entitlements");

/** GET /v1/me/entitlements — mounted under /v1/me, whose requireAuth covers it. */
export const entitlementRoutes = newRouter();
entitlementRoutes.openapi(
  createRoute({
    method: "get",
    path: "/",
    operationId: "me.entitlements.get",
    tags: ["me"],
    security: bearerSecurity,
    summary: "The features of the plan you are on",
    responses: {
      200: jsonContent(EntitlementsSchema, "Your plan and its features"),
      ...errorResponses(403),
    },
  }),
  async (c) => {
    const plan = await planForUser(c.var.db, principalOf(c).userId);
    return c.json({ plan: planRef(plan), features: plan.features }, 200);
  },
);

/**
 * Counts `cost` uses of the plan's metered quota `feature` (`exports: {limit, window}`) in the
 * user's RateLimiter, exactly: a use is taken only when it fits. A full quota is a 429 naming
 * it; a plan without the quota (limit 0) is a 403 naming the cheapest plan with it. Register
 * after requireAuth. A use is spent once admitted, even if the handler then fails.
 */
export function meteredQuota(feature: string, cost = 1) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const now = c.var.now;
    const result = await meter(c.env, principalOf(c).userId, feature, cost, now);
    if (!result.allowed) {
      if (result.limit === 0) throw await featureNotInPlan(c.var.db, feature);
      throw rateLimitedError(
        [{ window: feature, limit: result.limit, used: result.used, reset_at: result.reset_at }],
        now,
      );
    }
    await next();
  });
}
