// PayPal webhooks: signature verification (asked of PayPal itself) and the event handlers.
// Handlers only read; what they change goes back as statements the consumer applies in ONE
// batch with marking the event processed.
import { eq, sql } from "drizzle-orm";
import type { Statement } from "../db";
import { couponRedemptions, coupons, type Subscription, users } from "../db/schema";
import { outboxInsert } from "../email/outbox";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";
import { payPalClient } from "../payments/paypal-client";
import { fromPayPalValue, toPayPalValue } from "../payments/paypal-money";
import {
  type PayPalMoney,
  type PayPalSubscription,
  subscriptionState,
} from "../payments/paypal-subscriptions";
import type { ProviderSubscriptionState } from "../payments/provider";
import { findPaymentByProviderId, recordRefundStatement } from "../payments/records";
import { planById } from "../policy/current";
import {
  applyStateStatement,
  findSubscription,
  planForProviderPrice,
  recordPaymentStatements,
} from "../subscriptions/sync";
import {
  type EventContext,
  type EventEffect,
  type EventHandler,
  noEffect,
  type ProviderWebhooks,
  type VerifiedEvent,
  type WebhookVerifier,
} from "./types";

// ---- verification ----------------------------------------------------------------------------

/** The request headers PayPal signs a delivery with, by the field verify-webhook-signature takes. */
const SIGNATURE_HEADERS = {
  auth_algo: "paypal-auth-algo",
  cert_url: "paypal-cert-url",
  transmission_id: "paypal-transmission-id",
  transmission_sig: "paypal-transmission-sig",
  transmission_time: "paypal-transmission-time",
} as const;

const invalid = (detail: string) => new ApiError("invalid_signature", detail);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Asks PayPal whether the delivery is genuine (POST /v1/notifications/verify-webhook-signature).
 * The raw body goes back to PayPal byte for byte as `webhook_event`, so re-serialising can never
 * change what was signed. Anything but SUCCESS is an invalid signature.
 */
export const paypalVerifier: WebhookVerifier = {
  async verify(request, rawBody, config): Promise<VerifiedEvent> {
    const signature: Record<string, string> = {};
    for (const [field, header] of Object.entries(SIGNATURE_HEADERS)) {
      const value = request.headers.get(header);
      if (!value) throw invalid(`The ${header} header is missing`);
      signature[field] = value;
    }
    let event: unknown;
    try {
      event = JSON.parse(rawBody);
    } catch {
      throw invalid("The body is not JSON");
    }
    if (
      !isRecord(event) ||
      typeof event.id !== "string" ||
      !event.id ||
      typeof event.event_type !== "string" ||
      typeof event.create_time !== "string" ||
      Number.isNaN(Date.parse(event.create_time))
    ) {
      throw invalid("The body is not a PayPal event");
    }
    const client = payPalClient(config);
    if (!client || !config.PAYPAL_WEBHOOK_ID) {
      throw new ApiError("provider_unavailable", "PayPal webhooks are not configured");
    }
    const fields = JSON.stringify({ ...signature, webhook_id: config.PAYPAL_WEBHOOK_ID });
    // rawBody parsed as JSON above, so splicing it in keeps the request valid JSON.
    const body = `${fields.slice(0, -1)},"webhook_event":${rawBody}}`;
    let status: unknown;
    try {
      const response = await client.request(
        "POST",
        "/v1/notifications/verify-webhook-signature",
        { rawBody: body },
        "verify webhook signature",
      );
      status =
        response.status === 200 && isRecord(response.body)
          ? response.body.verification_status
          : undefined;
    } catch {
      throw invalid("PayPal could not verify the signature");
    }
    if (status !== "SUCCESS") throw invalid("PayPal did not confirm the signature");
    return {
      providerEventId: event.id,
      type: event.event_type,
      occurredAt: Date.parse(event.create_time),
    };
  },
};

// ---- handlers --------------------------------------------------------------------------------

function resourceOf(payload: unknown): Record<string, unknown> {
  if (!isRecord(payload) || !isRecord(payload.resource)) {
    throw new Error("PayPal event without a resource");
  }
  return payload.resource;
}

function stringOr(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

function moneyOf(value: unknown): { total: string; currency: string } | null {
  if (!isRecord(value)) return null;
  // Payments v1 says {total, currency}; v2 and the Subscriptions API say {value, currency_code}.
  const total = stringOr(value.total) ?? stringOr(value.value);
  const currency = stringOr(value.currency) ?? stringOr(value.currency_code);
  return total && currency ? { total, currency } : null;
}

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

/** Ours, by PayPal's id, or by the custom_id we gave PayPal at checkout (our subscription id). */
async function ourSubscription(
  context: EventContext,
  providerSubscriptionId: string,
  customId: string | null,
): Promise<Subscription | null> {
  const found = await findSubscription(context.db, {
    provider: "paypal",
    providerSubscriptionId,
    id: customId,
  });
  if (found?.provider !== "paypal") return null;
  // Found by custom_id but tied to another PayPal subscription: not this one.
  if (found.providerSubscriptionId && found.providerSubscriptionId !== providerSubscriptionId) {
    return null;
  }
  return found;
}

function ignored(context: EventContext, why: string): EventEffect {
  console.warn(
    JSON.stringify({ msg: "paypal event ignored", event: context.event.providerEventId, why }),
  );
  return noEffect();
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
function subscriptionHandler(paymentFailed: boolean): EventHandler {
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
          columns: { email: true },
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

/**
 * PAYMENT.SALE.COMPLETED: a subscription charge (billing_agreement_id is the PayPal subscription).
 * Recorded once: payments are unique on PayPal's sale id. A sale for a subscription tollgate does
 * not know throws, so the delivery is retried and, in the end, kept as failed for a replay —
 * money is never dropped silently.
 */
const saleCompleted: EventHandler = async (context, payload) => {
  const sale = resourceOf(payload);
  const saleId = stringOr(sale.id);
  const money = moneyOf(sale.amount);
  if (!saleId || !money) throw new Error("PayPal sale without id or amount");
  const agreementId = stringOr(sale.billing_agreement_id);
  if (!agreementId) return ignored(context, `sale ${saleId} is not a subscription payment`);
  const subscription = await ourSubscription(context, agreementId, stringOr(sale.custom));
  if (!subscription) {
    throw new Error(`PayPal sale ${saleId} is for an unknown subscription ${agreementId}`);
  }
  const created = stringOr(sale.create_time);
  const periodStart = created ? Date.parse(created) : Number.NaN;
  const { db, now } = context;
  return {
    statements: recordPaymentStatements(
      db,
      {
        provider: "paypal",
        providerPaymentId: saleId,
        providerInvoiceId: null,
        userId: subscription.userId,
        subscriptionId: subscription.id,
        amount: fromPayPalValue(money.total, money.currency),
        currency: money.currency,
        status: "succeeded",
        periodStart: Number.isNaN(periodStart) ? null : periodStart,
        periodEnd: null,
        receiptUrl: null,
        failureReason: null,
      },
      now,
    ),
    syncUsers: [subscription.userId],
    emails: [],
  };
};

/**
 * PAYMENT.SALE.REFUNDED (the resource is the refund) and PAYMENT.SALE.REVERSED (a chargeback or
 * reversal: the whole sale). The sale's refunded total is PayPal's `total_refunded_amount` when
 * given, else this refund's amount; recording keeps the larger of it and what tollgate has, so
 * a refund tollgate already recorded when it asked for it is not counted twice.
 */
function refundHandler(reversal: boolean): EventHandler {
  return async (context, payload) => {
    const resource = resourceOf(payload);
    const saleId = stringOr(resource.sale_id) ?? stringOr(resource.id);
    if (!saleId) throw new Error("PayPal refund without a sale id");
    const payment = await findPaymentByProviderId(context.db, "paypal", saleId);
    // The sale's own event may not have been applied yet: retry later.
    if (!payment) throw new Error(`PayPal refund for sale ${saleId}, which is not recorded yet`);
    let total = payment.amount;
    if (!reversal) {
      const money = moneyOf(resource.total_refunded_amount) ?? moneyOf(resource.amount);
      if (!money) throw new Error(`PayPal refund for sale ${saleId} without an amount`);
      if (money.currency.toLowerCase() !== payment.currency.toLowerCase()) {
        throw new Error(`PayPal refund in ${money.currency} for a sale in ${payment.currency}`);
      }
      // Some refund payloads carry the amount as a negative number.
      total = Math.abs(fromPayPalValue(money.total, money.currency));
    }
    return {
      statements: [recordRefundStatement(context.db, "paypal", saleId, total, context.now)],
      syncUsers: [],
      emails: [],
    };
  };
}

const subscriptionChanged = subscriptionHandler(false);

export const paypalWebhooks: ProviderWebhooks = {
  provider: "paypal",
  verifier: paypalVerifier,
  handlers: {
    "BILLING.SUBSCRIPTION.ACTIVATED": subscriptionChanged,
    "BILLING.SUBSCRIPTION.RE-ACTIVATED": subscriptionChanged,
    "BILLING.SUBSCRIPTION.UPDATED": subscriptionChanged,
    "BILLING.SUBSCRIPTION.CANCELLED": subscriptionChanged,
    "BILLING.SUBSCRIPTION.SUSPENDED": subscriptionChanged,
    "BILLING.SUBSCRIPTION.EXPIRED": subscriptionChanged,
    "BILLING.SUBSCRIPTION.PAYMENT.FAILED": subscriptionHandler(true),
    "PAYMENT.SALE.COMPLETED": saleCompleted,
    "PAYMENT.SALE.REFUNDED": refundHandler(false),
    "PAYMENT.SALE.REVERSED": refundHandler(true),
  },
};
