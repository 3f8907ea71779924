import { and, count, eq, ne } from "drizzle-orm";
import { validateCoupon } from "../coupons/validation";
import type { Db } from "../db";
import {
  billingCustomers,
  type Coupon,
  coupons,
  type Interval,
  type Plan,
  payments,
  type Subscription,
  subscriptions,
  users,
} from "../db/schema";
import type { Config, Env } from "../env";
import { ApiError, notFound } from "../lib/errors";
import { newId } from "../lib/ids";
import { compareRational, monthlyEquivalent } from "../lib/money";
import { iso } from "../lib/time";
import type { PaidProvider } from "../payments/provider";
import { providerFor } from "../payments/providers";
import { createBillingPortalSession } from "../payments/stripe";
import { currentSubscription, isEntitled, planById } from "../policy/current";
import { syncPoliciesAfterCommit } from "../ratelimit/client";
import { previewChange } from "./proration";
import * as scheduled from "./scheduled-change";

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

/** The plan's price id at the provider, or null when it cannot be bought there. */
export function providerPriceId(
  plan: Plan,
  provider: PaidProvider,
  interval: Interval,
): string | null {
  if (provider === "stripe")
    return interval === "month" ? plan.stripePriceMonth : plan.stripePriceYear;
  return interval === "month" ? plan.paypalPlanMonth : plan.paypalPlanYear;
}

export function priceOf(plan: Plan, interval: Interval): number {
  return interval === "month" ? plan.priceMonth : plan.priceYear;
}

async function purchasablePlan(db: Db, planId: string, provider: PaidProvider, interval: Interval) {
  const plan = await planById(db, planId);
  if (!plan) throw notFound("Plan");
  if (
    plan.status !== "active" ||
    priceOf(plan, interval) <= 0 ||
    !providerPriceId(plan, provider, interval)
  ) {
    throw new ApiError(
      "plan_not_available",
      `${plan.name} cannot be bought ${interval}ly through ${provider}`,
    );
  }
  return plan;
}

export async function subscriptionSummary(db: Db, userId: string) {
  const subscription = await currentSubscription(db, userId);
  if (!subscription) return null;
  return subscriptionView(subscription, await planById(db, subscription.planId));
}

export interface CheckoutInput {
  plan_id: string;
  interval: Interval;
  provider: PaidProvider;
  coupon_code?: string | undefined;
  success_url: string;
  cancel_url: string;
}

/**
 * Starts a purchase: the provider's checkout (Stripe Checkout Session, PayPal subscription
 * awaiting approval) for a local `incomplete` subscription, which the provider's events then
 * activate. An earlier abandoned checkout is superseded.
 */
export async function checkout(
  db: Db,
  config: Config,
  userId: string,
  input: CheckoutInput,
  now: number,
) {
  const user = await db.query.users.findFirst({ where: eq(users.id, userId) });
  if (!user) throw notFound("User");
  const current = await currentSubscription(db, userId);
  if (isEntitled(current)) {
    throw new ApiError("conflict", "You already have a subscription: change or cancel it instead");
  }
  const plan = await purchasablePlan(db, input.plan_id, input.provider, input.interval);
  let coupon: Coupon | null = null;
  if (input.coupon_code) {
    coupon = (
      await validateCoupon(db, {
        code: input.coupon_code,
        planId: plan.id,
        interval: input.interval,
        userId,
        now,
      })
    ).coupon;
  }
  const customer = await db.query.billingCustomers.findFirst({
    where: and(eq(billingCustomers.userId, userId), eq(billingCustomers.provider, input.provider)),
  });
  const subscriptionId = newId("sub");
  const result = await providerFor(input.provider, config).createCheckout({
    user: { id: user.id, email: user.email },
    plan,
    interval: input.interval,
    coupon,
    successUrl: input.success_url,
    cancelUrl: input.cancel_url,
    customerId: customer?.customerId ?? null,
    subscriptionId,
  });
  await db.batch([
    db
      .update(subscriptions)
      .set({ status: "expired", endedAt: now, updatedAt: now })
      .where(and(eq(subscriptions.userId, userId), eq(subscriptions.status, "incomplete"))),
    db.insert(subscriptions).values({
      id: subscriptionId,
      userId,
      planId: plan.id,
      interval: input.interval,
      status: "incomplete",
      provider: input.provider,
      providerSubscriptionId: result.providerSubscriptionId ?? null,
      providerCustomerId: result.customerId ?? customer?.customerId ?? null,
      couponId: coupon?.id ?? null,
      createdAt: now,
      updatedAt: now,
    }),
    ...(result.customerId && !customer
      ? [
          db
            .insert(billingCustomers)
            .values({
              userId,
              provider: input.provider,
              customerId: result.customerId,
              createdAt: now,
            })
            .onConflictDoNothing(),
        ]
      : []),
  ]);
  return {
    provider: input.provider,
    checkout_url: result.checkoutUrl,
    subscription_id: subscriptionId,
  };
}

async function entitledSubscription(db: Db, userId: string): Promise<Subscription> {
  const subscription = await currentSubscription(db, userId);
  if (!isEntitled(subscription)) throw new ApiError("not_found", "You have no paid subscription");
  return subscription;
}

async function couponOf(db: Db, subscription: Subscription): Promise<Coupon | null> {
  if (!subscription.couponId) return null;
  return (
    (await db.query.coupons.findFirst({ where: eq(coupons.id, subscription.couponId) })) ?? null
  );
}

export async function preview(
  db: Db,
  userId: string,
  target: { plan_id: string; interval: Interval },
  now: number,
) {
  const subscription = await entitledSubscription(db, userId);
  const [currentPlan, nextPlan] = await Promise.all([
    planById(db, subscription.planId),
    planById(db, target.plan_id),
  ]);
  if (!nextPlan) throw notFound("Plan");
  if (!currentPlan) throw notFound("Plan");
  // The current plan again calls a scheduled change off; without one there is nothing to do.
  const current = nextPlan.id === currentPlan.id && target.interval === subscription.interval;
  if (current && !subscription.scheduledPlanId) {
    throw new ApiError("conflict", "That is your current plan");
  }
  if (!current && nextPlan.status !== "active")
    throw new ApiError("plan_not_available", `${nextPlan.name} is archived`);
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
export async function change(
  db: Db,
  env: Env,
  config: Config,
  userId: string,
  target: { plan_id: string; interval: Interval },
  now: number,
) {
  const found = await preview(db, userId, target, now);
  const { subscription, nextPlan, preview: proration } = found;
  const context = { db, config, now };
  if (found.current) {
    const { approvalUrl } = await scheduled.cancelScheduledChange(context, subscription);
    return { effective: "now" as const, preview: proration, approval_url: approvalUrl };
  }
  if (proration.direction === "downgrade") {
    // The provider refuses a plan it has no price for (409 plan_not_available) before any call.
    const to = { plan: nextPlan, interval: target.interval };
    const { approvalUrl } = await scheduled.scheduleDowngrade(context, subscription, to);
    return { effective: "period_end" as const, preview: proration, approval_url: approvalUrl };
  }
  if (subscription.provider === "manual") {
    throw new ApiError("conflict", "This subscription is managed by an administrator");
  }
  if (!providerPriceId(nextPlan, subscription.provider, target.interval)) {
    throw new ApiError(
      "plan_not_available",
      `${nextPlan.name} cannot be bought ${target.interval}ly through ${subscription.provider}`,
    );
  }
  await scheduled.supersedeScheduledChange(context, subscription);
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
  await syncPoliciesAfterCommit({ env, config, now, origin: "plan change" }, db, [userId]);
  return { effective: "now" as const, preview: proration, approval_url: null };
}

export async function cancel(
  db: Db,
  env: Env,
  config: Config,
  userId: string,
  input: { at_period_end: boolean; reason?: string | undefined },
  now: number,
) {
  const subscription = await entitledSubscription(db, userId);
  // A scheduled downgrade goes with the subscription.
  await scheduled.supersedeScheduledChange({ db, config, now }, subscription);
  if (subscription.provider !== "manual") {
    await providerFor(subscription.provider, config).cancel(subscription, {
      atPeriodEnd: input.at_period_end,
      ...(input.reason ? { reason: input.reason } : {}),
    });
  }
  const changes = input.at_period_end
    ? { cancelAtPeriodEnd: true, cancelReason: input.reason ?? null }
    : {
        status: "canceled" as const,
        canceledAt: now,
        endedAt: now,
        cancelReason: input.reason ?? null,
        standing: "good" as const,
      };
  await db
    .update(subscriptions)
    .set({ ...changes, updatedAt: now })
    .where(eq(subscriptions.id, subscription.id));
  if (!input.at_period_end) {
    await syncPoliciesAfterCommit({ env, config, now, origin: "cancel" }, db, [userId]);
  }
  return (
    (await db.query.subscriptions.findFirst({ where: eq(subscriptions.id, subscription.id) })) ??
    subscription
  );
}

export async function resume(db: Db, config: Config, userId: string, now: number) {
  const subscription = await entitledSubscription(db, userId);
  if (!subscription.cancelAtPeriodEnd) throw new ApiError("conflict", "No cancellation is pending");
  if (subscription.provider !== "manual")
    await providerFor(subscription.provider, config).resume(subscription);
  await db
    .update(subscriptions)
    .set({ cancelAtPeriodEnd: false, cancelReason: null, updatedAt: now })
    .where(eq(subscriptions.id, subscription.id));
  return { ...subscription, cancelAtPeriodEnd: false, cancelReason: null };
}

export async function billingPortal(db: Db, config: Config, userId: string, returnUrl: string) {
  const customer = await db.query.billingCustomers.findFirst({
    where: and(eq(billingCustomers.userId, userId), eq(billingCustomers.provider, "stripe")),
  });
  if (!customer) throw new ApiError("conflict", "You have no Stripe billing account yet");
  if (!config.STRIPE_SECRET_KEY)
    throw new ApiError("provider_unavailable", "Payments through stripe are not configured");
  return { url: await createBillingPortalSession(config, customer.customerId, returnUrl) };
}
