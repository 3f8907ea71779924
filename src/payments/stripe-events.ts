import { ApiError } from "../lib/errors";
import type { ProviderWebhooks } from "../webhooks/types";

// PLACEHOLDER — the Stripe helper replaces this file.
export const stripeWebhooks: ProviderWebhooks = {
  provider: "stripe",
  verifier: {
    async verify() {
      throw new ApiError("invalid_signature");
    },
  },
  handlers: {},
};
