// The Stripe events tollgate acts on, each with its handler; other types are stored and ignored.
import type { ProviderWebhooks } from "../types";
import { checkoutCompleted } from "./checkout";
import { invoicePaid, invoicePaymentFailed } from "./invoices";
import { chargeRefunded } from "./refunds";
import { subscriptionChanged, trialWillEnd } from "./subscriptions";
import { stripeVerifier } from "./verify";

export const stripeWebhooks: ProviderWebhooks = {
  provider: "stripe",
  verifier: stripeVerifier,
  handlers: {
    "checkout.session.completed": checkoutCompleted,
    "customer.subscription.created": subscriptionChanged(false),
    "customer.subscription.updated": subscriptionChanged(false),
    "customer.subscription.deleted": subscriptionChanged(true),
    "customer.subscription.trial_will_end": trialWillEnd,
    "invoice.paid": invoicePaid,
    "invoice.payment_failed": invoicePaymentFailed,
    "charge.refunded": chargeRefunded,
  },
};
