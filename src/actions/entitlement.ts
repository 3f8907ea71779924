// Whether a user's plan grants an action's required feature. The user's RateLimiter object
// holds the features but its admission answers no feature question, so the isolate keeps each
// user's features for as long as it keeps the route table (MAX_AGE, 30 s): a gated action reads
// D1 once per user per isolate per 30 s, and a plan change is in force within that bound.
// Actions without a required feature never get here.
import { grants, type PlanFeatures } from "../db/plan-features";
import type { ServiceContext } from "../lib/context";
import { featureNotInPlan } from "../plans/entitlements";
import { planForUser } from "../policy/policy";
import { MAX_AGE } from "./table";

/** Users whose features an isolate keeps at most (the oldest go first). */
const MAX_USERS = 10_000;

const features = new Map<string, { features: PlanFeatures; at: number }>();

async function featuresOf(ctx: ServiceContext, userId: string): Promise<PlanFeatures> {
  const kept = features.get(userId);
  if (kept && ctx.now - kept.at <= MAX_AGE) return kept.features;
  const plan = await planForUser(ctx.db, userId);
  features.delete(userId);
  if (features.size >= MAX_USERS) {
    const oldest = features.keys().next();
    if (!oldest.done) features.delete(oldest.value);
  }
  features.set(userId, { features: plan.features, at: ctx.now });
  return plan.features;
}

/** 403 feature_not_in_plan (naming the cheapest plan with it) when the plan lacks `feature`. */
export async function requireFeature(
  ctx: ServiceContext,
  userId: string,
  feature: string,
): Promise<void> {
  if (grants((await featuresOf(ctx, userId))[feature])) return;
  throw await featureNotInPlan(ctx.db, feature);
}
