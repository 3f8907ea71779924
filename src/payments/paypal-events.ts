import { ApiError } from "../lib/errors";
import type { ProviderWebhooks } from "../webhooks/types";

// PLACEHOLDER — the PayPal helper replaces this file.
export const paypalWebhooks: ProviderWebhooks = {
  provider: "paypal",
  verifier: {
    async verify() {
      throw new ApiError("invalid_signature");
    },
  },
  handlers: {},
};
