// Stripe's webhook signature, checked on receive with Stripe's own verifier.
import Stripe from "stripe";
import { ApiError } from "../../lib/errors";
import type { WebhookVerifier } from "../types";

/** How old a signed delivery may be (seconds): Stripe's own default. */
const SIGNATURE_TOLERANCE = 300;

export const stripeVerifier: WebhookVerifier = {
  async verify(request, rawBody, config) {
    const header = request.headers.get("stripe-signature");
    const secret = config.STRIPE_WEBHOOK_SECRET;
    if (!header || !secret) throw new ApiError("invalid_signature");
    let event: { id?: unknown; type?: unknown; created?: unknown };
    try {
      event = await Stripe.webhooks.constructEventAsync(
        rawBody,
        header,
        secret,
        SIGNATURE_TOLERANCE,
        Stripe.createSubtleCryptoProvider(),
      );
    } catch {
      throw new ApiError("invalid_signature");
    }
    if (
      typeof event.id !== "string" ||
      typeof event.type !== "string" ||
      typeof event.created !== "number"
    ) {
      throw new ApiError("invalid_request", "The body is not a Stripe event");
    }
    return { providerEventId: event.id, type: event.type, occurredAt: event.created * 1000 };
  },
};
