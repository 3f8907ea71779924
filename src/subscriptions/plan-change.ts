// Changing plan: what it would cost (preview), and the change itself.
import { and, count, eq, ne } from "drizzle-orm";
import type { Db } from "../db";
import {
  type Coupon,
  coupons,
  type Interval,
  payments,
  type Subscription,
  subscriptions,
} from "../db/schema";
import { msg } from "../i18n";
import type { ServiceContext } from "../lib/context";
import { ApiError, notFound } from "../lib/errors";
import { compareRational, monthlyEquivalent } from "../lib/money";
import { providerFor } from "../payments/providers";
import { planById } from "../policy/current";
import { syncPoliciesAfterCommit } from "../ratelimit/client";
import { priceOf, providerPriceId } from "./prices";
import { previewChange } from "./proration";
import * as scheduled from "./scheduled-change";
import { entitledSubscription } from "./view";

/** A plan and interval to change to. */
export interface ChangeTarget {
  plan_id: string;
  interval: Interval;
}

async function couponOf(db: Db, subscription: Subscription): Promise<Coupon | null> {
  if (!subscription.couponId) return null;
  return (
    (await db.query.coupons.findFirst({ where: eq(coupons.id, subscription.couponId) })) ?? null
  );
}

/**
 * What changing to `target` would do: the proration (credit, charge, next invoice) and whether it
 * takes effect now (an upgrade) or at the period end (a downgrade; the current plan again calls
 * a scheduled change off).
 */
export async function preview(ctx: ServiceContext, userId: string, target: ChangeTarget) {
  const { db, now } = ctx;
  const subscription = await entitledSubscription(ctx, userId);
  const [currentPlan, nextPlan] = await Promise.all([
    planById(db, subscription.planId),
    planById(db, target.plan_id),
  ]);
  if (!nextPlan) throw notFound("Plan");
  if (!currentPlan) throw notFound("Plan");
  // The current plan again calls a scheduled change off; without one there is nothing to do.
  const current = nextPlan.id === currentPlan.id && target.interval === subscription.interval;
  if (current && !subscription.scheduledPlanId) {
    throw new ApiError("conflict", msg("problems.conflict.current_plan"));
  }
  if (!current && nextPlan.status !== "active")
    throw new ApiError(
      "plan_not_available",
      msg("problems.plan_not_available.archived", { plan: nextPlan.name }),
    );
  const nextPrice = priceOf(nextPlan, target.interval);
  // Downgrades wait for the period end: nothing is credited or charged now.
  const downgrade =
    compareRational(
      monthlyEquivalent(nextPrice, target.interval),
      monthlyEquivalent(priceOf(currentPlan, subscription.interval), subscription.interval),
    ) < 0;
  const coupon = await couponOf(db, subscription);
  const [billed] = await db
    .select({ n: count() })
    .from(payments)
    .where(and(eq(payments.subscriptionId, subscription.id), ne(payments.status, "failed")));
  const result = previewChange({
    current: {
      price: priceOf(currentPlan, subscription.interval),
      interval: subscription.interval,
      periodStart: subscription.currentPeriodStart ?? now,
      periodEnd: subscription.currentPeriodEnd ?? now,
      coupon,
      // Which billed period this is: a `once` coupon only covered the first.
      cycleIndex: Math.max(0, (billed?.n ?? 0) - 1),
    },
    next: {
      price: nextPrice,
      interval: target.interval,
      // A coupon restricted to other plans does not follow the subscription to this one.
      ...(coupon?.planIds && !coupon.planIds.includes(nextPlan.id) ? { coupon: null } : {}),
    },
    now,
    effective: downgrade || current ? "period_end" : "now",
  });
  return { subscription, currentPlan, nextPlan, current, preview: result };
}

/**
 * Upgrades take effect now (the provider charges the prorated difference; the limiter is
 * re-synced so the new limits apply on the next request). Downgrades wait for the period end,
 * arranged at the provider at once (./scheduled-change.ts). The current plan calls a scheduled
 * change off. Manual subscriptions can only be downgraded.
 */
export async function change(ctx: ServiceContext, userId: string, target: ChangeTarget) {
  const { db, config, now } = ctx;
  const found = await preview(ctx, userId, target);
  const { subscription, nextPlan, preview: proration } = found;
  if (found.current) {
    const { approvalUrl } = await scheduled.cancelScheduledChange(ctx, subscription);
    return { effective: "now" as const, preview: proration, approval_url: approvalUrl };
  }
  if (proration.direction === "downgrade") {
    // The provider refuses a plan it has no price for (409 plan_not_available) before any call.
    const to = { plan: nextPlan, interval: target.interval };
    const { approvalUrl } = await scheduled.scheduleDowngrade(ctx, subscription, to);
    return { effective: "period_end" as const, preview: proration, approval_url: approvalUrl };
  }
  if (subscription.provider === "manual") {
    throw new ApiError("conflict", msg("problems.conflict.managed_by_admin"));
  }
  if (!providerPriceId(nextPlan, subscription.provider, target.interval)) {
    throw new ApiError(
      "plan_not_available",
      `${nextPlan.name} cannot be bought ${target.interval}ly through ${subscription.provider}`,
    );
  }
  await scheduled.supersedeScheduledChange(ctx, subscription);
  const { approvalUrl } = await providerFor(subscription.provider, config).changePlan(
    subscription,
    { plan: nextPlan, interval: target.interval, prorate: true },
  );
  if (approvalUrl) {
    // PayPal asks the buyer to approve a revision; the UPDATED event applies it.
    return { effective: "after_approval" as const, preview: proration, approval_url: approvalUrl };
  }
  await db
    .update(subscriptions)
    .set({
      planId: nextPlan.id,
      interval: target.interval,
      scheduledPlanId: null,
      scheduledInterval: null,
      providerScheduleId: null,
      updatedAt: now,
    })
    .where(eq(subscriptions.id, subscription.id));
  // Committed at the provider and in D1: a failed push is logged and healed by the reconcile.
  await syncPoliciesAfterCommit(ctx, [userId]);
  return { effective: "now" as const, preview: proration, approval_url: null };
}
