import type { PaidProvider } from "../payments/provider";
import { paypalWebhooks } from "./paypal-events";
import { stripeWebhooks } from "./stripe-events";
import type { ProviderWebhooks } from "./types";

export const WEBHOOKS: Record<PaidProvider, ProviderWebhooks> = {
  stripe: stripeWebhooks,
  paypal: paypalWebhooks,
};
