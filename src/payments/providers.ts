import type { Config } from "../env";
import { msg } from "../i18n";
import { ApiError } from "../lib/errors";
import { createPayPalProvider } from "./paypal";
import type { BillingProvider, PaidProvider } from "./provider";
import { createStripeProvider } from "./stripe";

const PROVIDER_NAMES: Record<PaidProvider, string> = { stripe: "Stripe", paypal: "PayPal" };

/** The provider's API client; 503 provider_unavailable when its keys are not configured. */
export function providerFor(name: PaidProvider, config: Config): BillingProvider {
  const provider = name === "stripe" ? createStripeProvider(config) : createPayPalProvider(config);
  if (!provider) {
    throw new ApiError(
      "provider_unavailable",
      msg("problems.provider_unavailable.not_configured", { provider: PROVIDER_NAMES[name] }),
    );
  }
  return provider;
}
