import type { Config } from "../env";
import { ApiError } from "../lib/errors";
import { createPayPalProvider } from "./paypal";
import type { BillingProvider, PaidProvider } from "./provider";
import { createStripeProvider } from "./stripe";

/** The provider's API client; 503 provider_unavailable when its keys are not configured. */
export function providerFor(name: PaidProvider, config: Config): BillingProvider {
  const provider = name === "stripe" ? createStripeProvider(config) : createPayPalProvider(config);
  if (!provider) {
    throw new ApiError("provider_unavailable", `Payments through ${name} are not configured`);
  }
  return provider;
}
