// PayPal as a billing provider: Subscriptions v1 for recurring billing (create, revise, cancel,
// show), Payments v1 (sales) for refunds. tollgate keeps its own records; PayPal moves the money
// and reports back through webhooks.

import type { Payment, Subscription } from "../db/schema";
import type { Config } from "../env";
import { msg } from "../i18n";
import { ApiError } from "../lib/errors";
import { errorIssues, type PayPalClient, payPalClient, providerError } from "./paypal-client";
import { toPayPalValue } from "./paypal-money";
import { couponBillingCycles, priceOf, requirePlanId } from "./paypal-plans";
import {
  approveLink,
  type PayPalLink,
  type PayPalSubscription,
  subscriptionState,
} from "./paypal-subscriptions";
import type { BillingProvider, CheckoutRequest, CheckoutResult, PlanChange } from "./provider";

const seg = encodeURIComponent;

function requireProviderId(subscription: Subscription): string {
  if (!subscription.providerSubscriptionId) {
    throw new ApiError("conflict", msg("problems.conflict.no_paypal_subscription"));
  }
  return subscription.providerSubscriptionId;
}

/** PayPal limits a cancellation reason to 128 characters. */
const MAX_REASON = 128;

// PayPal has no proration and no schedules: a revised plan's price applies from the next
// billing cycle, once the buyer approves the revision when PayPal asks (the UPDATED event then
// reports it). So one revision serves an upgrade, a downgrade asked for ahead of the renewal
// (requested at once, it is in place before PayPal bills again) and calling a downgrade off (a
// revision back to the current plan).
async function revise(client: PayPalClient, subscription: Subscription, change: PlanChange) {
  const revised = await client.call<{ links?: PayPalLink[] }>(
    "POST",
    `/v1/billing/subscriptions/${seg(requireProviderId(subscription))}/revise`,
    {
      body: {
        plan_id: requirePlanId(change.plan, change.interval),
        ...(change.returnUrl
          ? {
              application_context: {
                return_url: change.returnUrl,
                cancel_url: change.returnUrl,
                shipping_preference: "NO_SHIPPING",
              },
            }
          : {}),
      },
    },
    "revise subscription",
  );
  const approvalUrl = approveLink(revised?.links);
  return approvalUrl ? { approvalUrl } : {};
}

export function createPayPalProvider(config: Config): BillingProvider | null {
  const client = payPalClient(config);
  if (!client) return null;

  return {
    name: "paypal",

    async createCheckout(request: CheckoutRequest): Promise<CheckoutResult> {
      const { plan, interval, coupon } = request;
      const cycles = coupon
        ? couponBillingCycles(priceOf(plan, interval), plan.currency, interval, coupon)
        : null;
      const created = await client.call<{ id?: string; links?: PayPalLink[] }>(
        "POST",
        "/v1/billing/subscriptions",
        {
          body: {
            plan_id: requirePlanId(plan, interval),
            custom_id: request.subscriptionId,
            subscriber: { email_address: request.user.email },
            application_context: {
              return_url: request.successUrl,
              cancel_url: request.cancelUrl,
              user_action: "SUBSCRIBE_NOW",
              // An API subscription ships nothing: do not ask the buyer for an address.
              shipping_preference: "NO_SHIPPING",
            },
            ...(cycles ? { plan: { billing_cycles: cycles } } : {}),
          },
          // Our id makes a retried checkout the same PayPal subscription, never a second one.
          requestId: request.subscriptionId,
        },
        "create subscription",
      );
      const checkoutUrl = approveLink(created?.links);
      if (!created?.id || !checkoutUrl) {
        throw new ApiError(
          "provider_error",
          "PayPal returned a subscription without an approval link",
        );
      }
      return { checkoutUrl, providerSubscriptionId: created.id };
    },

    changePlan: (subscription, change) => revise(client, subscription, change),
    scheduleChange: (subscription, change) => revise(client, subscription, change),
    unscheduleChange: (subscription, current) => revise(client, subscription, current),

    async cancel(subscription: Subscription, options: { atPeriodEnd: boolean; reason?: string }) {
      // PayPal cancels at once. At the period end tollgate keeps the subscription itself and
      // cancels it then (a call with atPeriodEnd false), so there is nothing to ask PayPal now.
      if (options.atPeriodEnd) return;
      const path = `/v1/billing/subscriptions/${seg(requireProviderId(subscription))}/cancel`;
      const response = await client.request(
        "POST",
        path,
        { body: { reason: (options.reason || "Canceled by the subscriber").slice(0, MAX_REASON) } },
        "cancel subscription",
      );
      if (response.status >= 200 && response.status < 300) return;
      // Already canceled or expired at PayPal: what was asked is already true.
      if (
        response.status === 422 &&
        errorIssues(response.body).includes("SUBSCRIPTION_STATUS_INVALID")
      ) {
        return;
      }
      throw providerError("cancel subscription", response);
    },

    async resume(_subscription: Subscription) {
      // Only tollgate's cancel-at-period-end flag was set (PayPal was never told): nothing to undo.
    },

    async refund(payment: Payment, amount: number, reason?: string) {
      if (!Number.isSafeInteger(amount) || amount <= 0) {
        throw new ApiError(
          "invalid_request",
          "A refund must be a positive whole number of minor units",
        );
      }
      const refund = await client.call<{ id?: string }>(
        "POST",
        `/v1/payments/sale/${seg(payment.providerPaymentId)}/refund`,
        {
          body: {
            // Payments v1 names the currency `currency` (v2 says `currency_code`).
            amount: {
              total: toPayPalValue(amount, payment.currency),
              currency: payment.currency.toUpperCase(),
            },
            ...(reason ? { description: reason.slice(0, 255) } : {}),
          },
        },
        "refund sale",
      );
      if (!refund?.id)
        throw new ApiError("provider_error", "PayPal returned a refund without an id");
      return { refundId: refund.id };
    },

    async fetchSubscription(providerSubscriptionId: string) {
      const resource = await client.call<PayPalSubscription>(
        "GET",
        `/v1/billing/subscriptions/${seg(providerSubscriptionId)}`,
        {},
        "show subscription",
      );
      try {
        return subscriptionState(resource);
      } catch (error) {
        throw new ApiError(
          "provider_error",
          String(error instanceof Error ? error.message : error),
        );
      }
    },
  };
}
