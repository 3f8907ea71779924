import type { Config } from "../env";
import type { BillingProvider } from "./provider";

// PLACEHOLDER — the PayPal helper replaces this file.
export function createPayPalProvider(_config: Config): BillingProvider | null {
  return null;
}
