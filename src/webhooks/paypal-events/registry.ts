// The PayPal events tollgate acts on, each with its handler; other types are stored and ignored.
import type { ProviderWebhooks } from "../types";
import { refundHandler, saleCompleted } from "./sales";
import { subscriptionHandler } from "./subscriptions";
import { paypalVerifier } from "./verify";
import { captureCompleted, orderApproved } from "./wallet";

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
    "CHECKOUT.ORDER.APPROVED": orderApproved,
    "PAYMENT.CAPTURE.COMPLETED": captureCompleted,
  },
};
