// A feature a user's plan lacks: the refusal names the cheapest plan that has it. Here, below the
// limiter, because the user's object decides a gated call in its one RPC and enforce answers it.
import { asc, eq } from "drizzle-orm";
import type { Db } from "../db";
import { grants } from "../db/plan-features";
import { type Plan, plans } from "../db/schema";
import { ApiError } from "../lib/errors";

export const planRef = (plan: Plan) => ({ id: plan.id, code: plan.code, name: plan.name });

/** The cheapest active plan that grants a feature: lowest monthly price, then sort order. */
export async function cheapestPlanWith(db: Db, feature: string): Promise<Plan | null> {
  const active = await db
    .select()
    .from(plans)
    .where(eq(plans.status, "active"))
    .orderBy(asc(plans.priceMonth), asc(plans.sortOrder), asc(plans.id));
  return active.find((plan) => grants(plan.features[feature])) ?? null;
}

/** 403 feature_not_in_plan, naming the cheapest plan that has it (null when none does). */
export async function featureNotInPlan(db: Db, feature: string): Promise<ApiError> {
  const cheapest = await cheapestPlanWith(db, feature);
  return new ApiError(
    "feature_not_in_plan",
    cheapest
      ? `Your plan does not include ${feature}; ${cheapest.name} does`
      : `No plan offered now includes ${feature}`,
    { extensions: { feature, cheapest_plan: cheapest ? planRef(cheapest) : null } },
  );
}
