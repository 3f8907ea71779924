// Stripe as a billing provider: Checkout for new subscriptions, price changes, schedules for
// downgrades, cancellation, refunds, and the customer's billing portal.
import type Stripe from "stripe";
import type { Coupon, Interval, Plan } from "../db/schema";
import type { Config } from "../env";
import { msg } from "../i18n";
import { ApiError } from "../lib/errors";
import type { BillingProvider } from "./provider";
import { call, stripeClient, stripeErrorOf } from "./stripe-api";
import { cancelNow, releaseSchedule, scheduleDowngrade } from "./stripe-changes";
import { type StripeSubscriptionLike, subscriptionState } from "./stripe-state";

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
    if (stripeErrorOf(error)?.code === "resource_already_exists") {
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
    throw new ApiError("conflict", msg("problems.conflict.no_stripe_subscription"));
  }
  return subscription.providerSubscriptionId;
}

export function createStripeProvider(config: Config): BillingProvider | null {
  const client = stripeClient(config);
  if (!client) return null;
  return {
    name: "stripe",

    async createCheckout(request) {
      const { plan, interval, user } = request;
      const price = requirePrice(plan, interval);
      return call(client, async (stripe) => {
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
      return call(client, async (stripe) => {
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
      return { scheduleId: await call(client, (stripe) => scheduleDowngrade(stripe, args)) };
    },

    async unscheduleChange(subscription) {
      const scheduleId = subscription.providerScheduleId;
      if (scheduleId) await call(client, (stripe) => releaseSchedule(stripe, scheduleId));
      return {};
    },

    async cancel(subscription, options) {
      const id = requireSubscriptionId(subscription);
      const details = options.reason ? { cancellation_details: { comment: options.reason } } : {};
      if (options.atPeriodEnd) {
        await call(client, (stripe) =>
          stripe.subscriptions.update(id, { cancel_at_period_end: true, ...details }),
        );
      } else {
        await call(client, (stripe) => cancelNow(stripe, id, details));
      }
    },

    async resume(subscription) {
      const id = requireSubscriptionId(subscription);
      await call(client, (stripe) =>
        stripe.subscriptions.update(id, { cancel_at_period_end: false }),
      );
    },

    async refund(payment, amount, reason) {
      // A payment is recorded under its charge; invoices paid through a PaymentIntent only
      // name that.
      const target = payment.providerPaymentId.startsWith("pi_")
        ? { payment_intent: payment.providerPaymentId }
        : { charge: payment.providerPaymentId };
      const refund = await call(client, (stripe) =>
        stripe.refunds.create({
          ...target,
          amount,
          metadata: { tollgate_payment_id: payment.id, ...(reason ? { reason } : {}) },
        }),
      );
      return { refundId: refund.id };
    },

    async fetchSubscription(providerSubscriptionId) {
      const subscription = await call(client, (stripe) =>
        stripe.subscriptions.retrieve(providerSubscriptionId),
      );
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
  const client = stripeClient(config);
  if (!client) {
    throw new ApiError(
      "provider_unavailable",
      msg("problems.provider_unavailable.not_configured", { provider: "Stripe" }),
    );
  }
  const session = await call(client, (stripe) =>
    stripe.billingPortal.sessions.create({ customer: customerId, return_url: returnUrl }),
  );
  return session.url;
}
