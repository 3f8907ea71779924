// Buying a plan: the provider's checkout for a local `incomplete` subscription.
import { and, eq } from "drizzle-orm";
import { validateCoupon } from "../coupons/validation";
import type { Db } from "../db";
import { billingCustomers, type Coupon, type Interval, subscriptions, users } from "../db/schema";
import { msg } from "../i18n";
import type { ServiceContext } from "../lib/context";
import { ApiError, notFound } from "../lib/errors";
import { newId } from "../lib/ids";
import type { PaidProvider } from "../payments/provider";
import { providerFor } from "../payments/providers";
import { currentSubscription, isEntitled, planById } from "../policy/current";
import { priceOf, providerPriceId } from "./prices";

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
  { db, config, now }: ServiceContext,
  userId: string,
  input: CheckoutInput,
) {
  const user = await db.query.users.findFirst({ where: eq(users.id, userId) });
  if (!user) throw notFound("User");
  const current = await currentSubscription(db, userId);
  if (isEntitled(current)) {
    throw new ApiError("conflict", msg("problems.conflict.has_subscription"));
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
