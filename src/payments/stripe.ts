import Stripe from "stripe";
import type { Coupon, Interval, Plan, SubscriptionStatus } from "../db/schema";
import type { Config } from "../env";
import { ApiError } from "../lib/errors";
import type { BillingProvider, ProviderSubscriptionState } from "./provider";
import { cancelNow, releaseSchedule, scheduleDowngrade } from "./stripe-changes";

/**
 * A Stripe client for the configured key, talking to STRIPE_API_BASE_URL (tests and local runs
 * point it at a fake). Null when no secret key is configured. Requests go through the global
 * `fetch` as it is at call time, so a test can intercept them.
 */
export function stripeClient(config: Config): Stripe | null {
  if (!config.STRIPE_SECRET_KEY) return null;
  const base = new URL(config.STRIPE_API_BASE_URL);
  const protocol = base.protocol === "http:" ? "http" : "https";
  return new Stripe(config.STRIPE_SECRET_KEY, {
    httpClient: Stripe.createFetchHttpClient((input, init) => fetch(input, init)),
    host: base.hostname,
    port: base.port || (protocol === "http" ? 80 : 443),
    protocol,
    maxNetworkRetries: 2,
    telemetry: false,
  });
}

/** Our status for Stripe's. */
export function mapStripeStatus(status: string): SubscriptionStatus {
  switch (status) {
    case "trialing":
    case "active":
    case "past_due":
    case "canceled":
    case "incomplete":
    case "paused":
      return status;
    case "unpaid":
      return "past_due";
    case "incomplete_expired":
      return "expired";
    default:
      // An unknown status grants nothing until a known one arrives.
      return "incomplete";
  }
}

/**
 * The fields of a Stripe subscription tollgate reads. Older API versions put the period on the
 * subscription, newer ones on each item: both are accepted.
 */
export interface StripeSubscriptionLike {
  id: string;
  status: string;
  customer: string | { id: string } | null;
  metadata?: Record<string, string> | null;
  items?: {
    data: Array<{
      id: string;
      price?: string | { id: string } | null;
      current_period_start?: number | null;
      current_period_end?: number | null;
    }>;
  } | null;
  current_period_start?: number | null;
  current_period_end?: number | null;
  trial_end?: number | null;
  cancel_at?: number | null;
  cancel_at_period_end?: boolean | null;
  canceled_at?: number | null;
}

const ms = (seconds: number | null | undefined): number | null =>
  typeof seconds === "number" ? seconds * 1000 : null;

export const idOf = (ref: string | { id: string } | null | undefined): string | null =>
  ref == null ? null : typeof ref === "string" ? ref : ref.id;

/** A Stripe subscription as tollgate's provider-neutral state, stamped with `stateAt` (ms). */
export function subscriptionState(
  subscription: StripeSubscriptionLike,
  stateAt: number,
): ProviderSubscriptionState {
  const item = subscription.items?.data[0];
  const currentPeriodStart = ms(item?.current_period_start ?? subscription.current_period_start);
  const currentPeriodEnd = ms(item?.current_period_end ?? subscription.current_period_end);
  const cancelAt = ms(subscription.cancel_at);
  return {
    providerSubscriptionId: subscription.id,
    status: mapStripeStatus(subscription.status),
    providerPriceId: idOf(item?.price),
    currentPeriodStart,
    currentPeriodEnd,
    trialEnd: ms(subscription.trial_end),
    // Newer dashboards and the billing portal schedule the end with cancel_at instead.
    cancelAtPeriodEnd:
      subscription.cancel_at_period_end === true ||
      (cancelAt !== null && currentPeriodEnd !== null && cancelAt <= currentPeriodEnd),
    canceledAt: ms(subscription.canceled_at),
    stateAt,
  };
}

/** A Stripe API failure as the API's 502, with the cause logged (never shown to the client). */
function providerError(error: unknown): never {
  if (error instanceof ApiError) throw error;
  const stripeError = error instanceof Stripe.errors.StripeError ? error : null;
  console.error(
    JSON.stringify({
      msg: "stripe request failed",
      type: stripeError?.type,
      code: stripeError?.code,
      status: stripeError?.statusCode,
      error: String(error),
    }),
  );
  throw new ApiError(
    "provider_error",
    stripeError?.code
      ? `Stripe refused the request (${stripeError.code})`
      : "Stripe could not be reached or refused the request",
  );
}

async function call<T>(request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    providerError(error);
  }
}

const stripeCouponId = (coupon: Coupon) => `tg_${coupon.id}`;

/** Our coupon as a Stripe coupon, created on first use; one that exists already is reused. */
async function ensureStripeCoupon(stripe: Stripe, coupon: Coupon): Promise<string> {
  const id = stripeCouponId(coupon);
  const amount: Stripe.CouponCreateParams =
    coupon.percentOff != null
      ? { percent_off: coupon.percentOff }
      : { amount_off: coupon.amountOff ?? 0, currency: (coupon.currency ?? "usd").toLowerCase() };
  try {
    await stripe.coupons.create({
      id,
      name: coupon.name ?? coupon.code,
      duration: coupon.duration,
      ...(coupon.duration === "repeating"
        ? { duration_in_months: coupon.durationMonths ?? 1 }
        : {}),
      ...amount,
      metadata: { tollgate_coupon_id: coupon.id, code: coupon.code },
    });
  } catch (error) {
    if (error instanceof Stripe.errors.StripeError && error.code === "resource_already_exists") {
      return id;
    }
    throw error;
  }
  return id;
}

/** The plan's Stripe price for the interval; 409 plan_not_available when it has none. */
function requirePrice(plan: Plan, interval: Interval): string {
  const price = interval === "month" ? plan.stripePriceMonth : plan.stripePriceYear;
  if (!price) {
    throw new ApiError(
      "plan_not_available",
      `The ${plan.code} plan has no Stripe price for a ${interval}ly subscription`,
    );
  }
  return price;
}

function requireSubscriptionId(subscription: { providerSubscriptionId: string | null }): string {
  if (!subscription.providerSubscriptionId) {
    throw new ApiError("conflict", "This subscription has no Stripe subscription yet");
  }
  return subscription.providerSubscriptionId;
}

export function createStripeProvider(config: Config): BillingProvider | null {
  const stripe = stripeClient(config);
  if (!stripe) return null;
  return {
    name: "stripe",

    async createCheckout(request) {
      const { plan, interval, user } = request;
      const price = requirePrice(plan, interval);
      return call(async () => {
        let customerId = request.customerId;
        let createdCustomer: string | undefined;
        if (!customerId) {
          const customer = await stripe.customers.create(
            { email: user.email, metadata: { user_id: user.id } },
            // Two checkouts started at once (or a retried one) make one customer.
            { idempotencyKey: `tollgate-customer-${user.id}-${user.email}` },
          );
          customerId = customer.id;
          createdCustomer = customer.id;
        }
        const metadata: Record<string, string> = {
          user_id: user.id,
          plan_id: plan.id,
          interval,
          tollgate_subscription_id: request.subscriptionId,
          ...(request.coupon ? { coupon_id: request.coupon.id } : {}),
        };
        const discounts = request.coupon
          ? [{ coupon: await ensureStripeCoupon(stripe, request.coupon) }]
          : undefined;
        const session = await stripe.checkout.sessions.create({
          mode: "subscription",
          customer: customerId,
          client_reference_id: user.id,
          line_items: [{ price, quantity: 1 }],
          success_url: request.successUrl,
          cancel_url: request.cancelUrl,
          metadata,
          subscription_data: {
            metadata,
            ...(plan.trialDays > 0 ? { trial_period_days: plan.trialDays } : {}),
          },
          ...(discounts ? { discounts } : {}),
        });
        if (!session.url) throw new Error(`checkout session ${session.id} has no url`);
        return {
          checkoutUrl: session.url,
          ...(createdCustomer ? { customerId: createdCustomer } : {}),
        };
      });
    },

    async changePlan(subscription, change) {
      const id = requireSubscriptionId(subscription);
      const price = requirePrice(change.plan, change.interval);
      return call(async () => {
        const current = await stripe.subscriptions.retrieve(id);
        const item = current.items.data[0];
        if (!item) throw new Error(`Stripe subscription ${id} has no item`);
        await stripe.subscriptions.update(id, {
          items: [{ id: item.id, price }],
          proration_behavior: change.prorate ? "always_invoice" : "none",
          metadata: { plan_id: change.plan.id, interval: change.interval },
        });
        return {};
      });
    },

    async scheduleChange(subscription, change) {
      const args = {
        subscriptionId: requireSubscriptionId(subscription),
        scheduleId: subscription.providerScheduleId,
        price: requirePrice(change.plan, change.interval),
        interval: change.interval,
        metadata: { plan_id: change.plan.id, interval: change.interval },
      };
      return { scheduleId: await call(() => scheduleDowngrade(stripe, args)) };
    },

    async unscheduleChange(subscription) {
      const scheduleId = subscription.providerScheduleId;
      if (scheduleId) await call(() => releaseSchedule(stripe, scheduleId));
      return {};
    },

    async cancel(subscription, options) {
      const id = requireSubscriptionId(subscription);
      const details = options.reason ? { cancellation_details: { comment: options.reason } } : {};
      if (options.atPeriodEnd) {
        await call(() =>
          stripe.subscriptions.update(id, { cancel_at_period_end: true, ...details }),
        );
      } else {
        await call(() => cancelNow(stripe, id, details));
      }
    },

    async resume(subscription) {
      const id = requireSubscriptionId(subscription);
      await call(() => stripe.subscriptions.update(id, { cancel_at_period_end: false }));
    },

    async refund(payment, amount, reason) {
      // A payment is recorded under its charge; invoices paid through a PaymentIntent only
      // name that.
      const target = payment.providerPaymentId.startsWith("pi_")
        ? { payment_intent: payment.providerPaymentId }
        : { charge: payment.providerPaymentId };
      const refund = await call(() =>
        stripe.refunds.create({
          ...target,
          amount,
          metadata: { tollgate_payment_id: payment.id, ...(reason ? { reason } : {}) },
        }),
      );
      return { refundId: refund.id };
    },

    async fetchSubscription(providerSubscriptionId) {
      const subscription = await call(() => stripe.subscriptions.retrieve(providerSubscriptionId));
      // The state as of now: newer than any event already received about it.
      return subscriptionState(subscription as StripeSubscriptionLike, Date.now());
    },
  };
}

/** A Stripe billing portal session for the customer; returns its URL. */
export async function createBillingPortalSession(
  config: Config,
  customerId: string,
  returnUrl: string,
): Promise<string> {
  const stripe = stripeClient(config);
  if (!stripe) {
    throw new ApiError("provider_unavailable", "Payments through stripe are not configured");
  }
  const session = await call(() =>
    stripe.billingPortal.sessions.create({ customer: customerId, return_url: returnUrl }),
  );
  return session.url;
}
