import { paypalWebhooks } from "../payments/paypal-events";
import type { PaidProvider } from "../payments/provider";
import { stripeWebhooks } from "../payments/stripe-events";
import type { ProviderWebhooks } from "./types";

export const WEBHOOKS: Record<PaidProvider, ProviderWebhooks> = {
  stripe: stripeWebhooks,
  paypal: paypalWebhooks,
};
