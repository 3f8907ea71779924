// BILLING.SUBSCRIPTION.*: the subscription's state as PayPal reports it, the coupon's redemption
// once it is active, and the email when a payment fails.
import { eq, sql } from "drizzle-orm";
import type { Statement } from "../../db";
import { couponRedemptions, coupons, type Subscription, users } from "../../db/schema";
import { outboxInsert } from "../../email/outbox";
import { newId } from "../../lib/ids";
import { fromPayPalValue, toPayPalValue } from "../../payments/paypal-money";
import {
  type PayPalMoney,
  type PayPalSubscription,
  subscriptionState,
} from "../../payments/paypal-subscriptions";
import type { ProviderSubscriptionState } from "../../payments/provider";
import { planById } from "../../policy/current";
import { applyStateStatement, planForProviderPrice } from "../../subscriptions/sync";
import { cancelForClosedAccount } from "../closed-accounts";
import type { EventContext, EventHandler } from "../types";
import { ignored, ourSubscription, resourceOf, stringOr } from "./common";

function formatMoney(
  money: PayPalMoney | undefined,
  fallback: { amount: number; currency: string },
) {
  if (money?.value && money.currency_code) {
    try {
      const minor = fromPayPalValue(money.value, money.currency_code);
      return `${toPayPalValue(minor, money.currency_code)} ${money.currency_code.toUpperCase()}`;
    } catch {
      // fall through to the plan's price
    }
  }
  return `${toPayPalValue(fallback.amount, fallback.currency)} ${fallback.currency.toUpperCase()}`;
}

/** The coupon counts as redeemed once the subscription is active; the count is recomputed. */
function redemptionStatements(context: EventContext, subscription: Subscription): Statement[] {
  const couponId = subscription.couponId;
  if (!couponId) return [];
  const { db, now } = context;
  return [
    db
      .insert(couponRedemptions)
      .values({
        id: newId("red"),
        couponId,
        userId: subscription.userId,
        subscriptionId: subscription.id,
        createdAt: now,
      })
      .onConflictDoNothing(),
    db
      .update(coupons)
      .set({
        timesRedeemed: sql`(select count(*) from ${couponRedemptions} where ${couponRedemptions.couponId} = ${couponId})`,
        updatedAt: now,
      })
      .where(eq(coupons.id, couponId)),
  ];
}

/**
 * BILLING.SUBSCRIPTION.*: the resource is the subscription. The event's own time orders it, so
 * an older event arriving late never overwrites a newer state. PAYMENT.FAILED makes it past_due
 * and mails the subscriber.
 */
export function subscriptionHandler(paymentFailed: boolean): EventHandler {
  return async (context, payload) => {
    const resource = resourceOf(payload) as unknown as PayPalSubscription;
    const providerId = stringOr(resource.id);
    if (!providerId || typeof resource.status !== "string") {
      throw new Error("PayPal subscription event without id or status");
    }
    const subscription = await ourSubscription(context, providerId, stringOr(resource.custom_id));
    if (!subscription) return ignored(context, `unknown subscription ${providerId}`);
    const { db, now, event } = context;
    const reported = subscriptionState(resource);
    if (await cancelForClosedAccount(context, subscription.userId, reported.status, subscription)) {
      reported.status = "canceled";
      reported.canceledAt = event.occurredAt;
    }
    const ended = reported.status === "canceled" || reported.status === "expired";
    const status = paymentFailed && !ended ? "past_due" : reported.status;
    const state: ProviderSubscriptionState = {
      ...reported,
      status,
      // PayPal leaves these out once a subscription ends: keep what we knew.
      currentPeriodStart: reported.currentPeriodStart ?? subscription.currentPeriodStart,
      currentPeriodEnd: reported.currentPeriodEnd ?? subscription.currentPeriodEnd,
      trialEnd: subscription.trialEnd,
      // PayPal knows nothing of a cancellation at the period end: that flag is tollgate's.
      cancelAtPeriodEnd: ended ? false : subscription.cancelAtPeriodEnd,
      canceledAt:
        status === "canceled"
          ? (subscription.canceledAt ?? reported.canceledAt ?? event.occurredAt)
          : subscription.cancelAtPeriodEnd
            ? subscription.canceledAt
            : null,
      stateAt: event.occurredAt,
    };
    const stale = subscription.providerStateAt > event.occurredAt;
    const mapped = await planForProviderPrice(db, "paypal", reported.providerPriceId);
    const statements: Statement[] = [applyStateStatement(db, subscription, state, mapped, now)];
    if (status === "active") statements.push(...redemptionStatements(context, subscription));
    const emails: string[] = [];
    if (paymentFailed && !stale && !ended) {
      const [user, plan] = await Promise.all([
        db.query.users.findFirst({
          where: eq(users.id, subscription.userId),
          columns: { email: true, locale: true },
        }),
        mapped ? Promise.resolve(mapped.plan) : planById(db, subscription.planId),
      ]);
      if (user && plan) {
        const interval = mapped?.interval ?? subscription.interval;
        const email = outboxInsert(
          db,
          {
            userId: subscription.userId,
            to: user.email,
            template: "payment_failed",
            vars: {
              plan: plan.name,
              amount: formatMoney(resource.billing_info?.last_failed_payment?.amount, {
                amount: interval === "month" ? plan.priceMonth : plan.priceYear,
                currency: plan.currency,
              }),
            },
            locale: user.locale,
          },
          now,
        );
        statements.push(email.statement);
        emails.push(email.id);
      }
    }
    return { statements, syncUsers: [subscription.userId], emails };
  };
}
