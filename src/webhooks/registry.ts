import type { PaidProvider } from "../payments/provider";
import { paypalWebhooks } from "./paypal-events/registry";
import { stripeWebhooks } from "./stripe-events/registry";
import type { ProviderWebhooks } from "./types";

export const WEBHOOKS: Record<PaidProvider, ProviderWebhooks> = {
  stripe: stripeWebhooks,
  paypal: paypalWebhooks,
};
