import type { Config } from "../env";
import type { BillingProvider } from "./provider";

// PLACEHOLDER — the Stripe helper replaces this file.
export function createStripeProvider(_config: Config): BillingProvider | null {
  return null;
}
