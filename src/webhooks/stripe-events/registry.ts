// The Stripe events tollgate acts on, each with its handler; other types are stored and ignored.
import { noEffect, type ProviderWebhooks } from "../types";
import { checkoutCompleted } from "./checkout";
import { invoicePaid, invoicePaymentFailed } from "./invoices";
import { chargeRefunded } from "./refunds";
import { subscriptionChanged, trialWillEnd } from "./subscriptions";
import { stripeVerifier } from "./verify";
import { isTopUpSession, rechargeFailed, rechargeSucceeded, topUpSessionPaid } from "./wallet";

export const stripeWebhooks: ProviderWebhooks = {
  provider: "stripe",
  verifier: stripeVerifier,
  handlers: {
    "checkout.session.completed": (ctx, payload) =>
      isTopUpSession(payload) ? topUpSessionPaid(ctx, payload) : checkoutCompleted(ctx, payload),
    // A top-up paid by a delayed method (a bank debit) completes unpaid, then this follows.
    "checkout.session.async_payment_succeeded": (ctx, payload) =>
      isTopUpSession(payload) ? topUpSessionPaid(ctx, payload) : Promise.resolve(noEffect()),
    "payment_intent.succeeded": rechargeSucceeded,
    "payment_intent.payment_failed": rechargeFailed,
    "customer.subscription.created": subscriptionChanged(false),
    "customer.subscription.updated": subscriptionChanged(false),
    "customer.subscription.deleted": subscriptionChanged(true),
    "customer.subscription.trial_will_end": trialWillEnd,
    "invoice.paid": invoicePaid,
    "invoice.payment_failed": invoicePaymentFailed,
    "charge.refunded": chargeRefunded,
  },
};
