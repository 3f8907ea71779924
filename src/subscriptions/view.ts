// Reading a subscription: its API view, the user's current one, the one a change acts on.
import type { Plan, Subscription } from "../db/schema";
import { msg } from "../i18n";
import type { ServiceContext } from "../lib/context";
import { ApiError } from "../lib/errors";
import { iso } from "../lib/time";
import { currentSubscription, isEntitled, planById } from "../policy/current";

export function subscriptionView(subscription: Subscription, plan: Plan | null) {
  return {
    id: subscription.id,
    plan: plan ? { id: plan.id, code: plan.code, name: plan.name } : null,
    interval: subscription.interval,
    status: subscription.status,
    standing: subscription.standing,
    provider: subscription.provider,
    cancel_at_period_end: subscription.cancelAtPeriodEnd,
    current_period_start: iso(subscription.currentPeriodStart),
    current_period_end: iso(subscription.currentPeriodEnd),
    trial_end: iso(subscription.trialEnd),
    scheduled_change: subscription.scheduledPlanId
      ? {
          plan_id: subscription.scheduledPlanId,
          interval: subscription.scheduledInterval ?? subscription.interval,
          at: iso(subscription.currentPeriodEnd),
          effective_at: iso(subscription.currentPeriodEnd),
        }
      : null,
    created_at: iso(subscription.createdAt),
  };
}

/** The user's current subscription as the API shows it; null on the free plan. */
export async function subscriptionSummary({ db }: ServiceContext, userId: string) {
  const subscription = await currentSubscription(db, userId);
  if (!subscription) return null;
  return subscriptionView(subscription, await planById(db, subscription.planId));
}

/** The paid (or trialing, or granted) subscription a change or cancellation acts on; else 404. */
export async function entitledSubscription(
  { db }: Pick<ServiceContext, "db">,
  userId: string,
): Promise<Subscription> {
  const subscription = await currentSubscription(db, userId);
  if (!isEntitled(subscription))
    throw new ApiError("not_found", msg("problems.not_found.no_paid_subscription"));
  return subscription;
}
