// Stripe's webhook signature, checked on receive: `Stripe-Signature: t=<unix s>,v1=<hex>[,v1=…]`
// where v1 is HMAC-SHA256(endpoint secret, "<t>.<raw body>"). Checked here with the key imported
// once, rather than through the SDK (which imports it again for every event and is loaded only
// when the API is called).
import { hexToBytes, hmacSha256Key } from "../../lib/crypto";
import { ApiError } from "../../lib/errors";
import type { WebhookVerifier } from "../types";

/** How old a signed delivery may be (seconds): Stripe's own default. */
const SIGNATURE_TOLERANCE = 300;

const encoder = new TextEncoder();

function parseHeader(header: string): { timestamp: number; signatures: Uint8Array[] } | null {
  let timestamp = Number.NaN;
  const signatures: Uint8Array[] = [];
  for (const part of header.split(",")) {
    const at = part.indexOf("=");
    const name = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    if (name === "t") timestamp = Number(value);
    else if (name === "v1") {
      const bytes = hexToBytes(value);
      if (bytes) signatures.push(bytes);
    }
  }
  return Number.isSafeInteger(timestamp) && signatures.length > 0
    ? { timestamp, signatures }
    : null;
}

export const stripeVerifier: WebhookVerifier = {
  async verify(request, rawBody, config, now) {
    const header = request.headers.get("stripe-signature");
    const secret = config.STRIPE_WEBHOOK_SECRET;
    const parsed = header ? parseHeader(header) : null;
    if (!parsed || !secret) throw new ApiError("invalid_signature");
    if (parsed.timestamp < Math.floor(now / 1000) - SIGNATURE_TOLERANCE) {
      throw new ApiError("invalid_signature", "The signature is too old");
    }
    const key = await hmacSha256Key(secret);
    const signed = encoder.encode(`${parsed.timestamp}.${rawBody}`);
    let valid = false;
    // subtle.verify compares in constant time; any one of the listed signatures may match
    // (Stripe lists several while an endpoint secret is being rolled).
    for (const signature of parsed.signatures) {
      if (await crypto.subtle.verify("HMAC", key, signature, signed)) valid = true;
    }
    if (!valid) throw new ApiError("invalid_signature");
    let event: { id?: unknown; type?: unknown; created?: unknown };
    try {
      event = JSON.parse(rawBody);
    } catch {
      throw new ApiError("invalid_request", "The body is not a Stripe event");
    }
    if (
      typeof event?.id !== "string" ||
      typeof event.type !== "string" ||
      typeof event.created !== "number"
    ) {
      throw new ApiError("invalid_request", "The body is not a Stripe event");
    }
    return { providerEventId: event.id, type: event.type, occurredAt: event.created * 1000 };
  },
};
