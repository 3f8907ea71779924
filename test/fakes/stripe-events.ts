// Stripe events and their webhook deliveries, signed as Stripe signs them (the SDK signs offline).
import Stripe from "stripe";
import { fakeId, type Json, nowSeconds } from "./stripe-wire";

export const FAKE_WEBHOOK_SECRET = "whsec_test_fake";

export interface StripeEventOptions {
  id?: string;
  /** Seconds. */
  created?: number;
}

export function stripeEvent(type: string, object: Json, options: StripeEventOptions = {}): Json {
  return {
    id: options.id ?? fakeId("evt"),
    object: "event",
    api_version: Stripe.API_VERSION,
    created: options.created ?? nowSeconds(),
    type,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object },
  };
}

/** A webhook delivery signed as Stripe signs it. */
export async function signedDelivery(
  event: Json | string,
  options: { secret?: string; timestamp?: number } = {},
): Promise<{ body: string; headers: Record<string, string> }> {
  const body = typeof event === "string" ? event : JSON.stringify(event);
  const signature = await Stripe.webhooks.generateTestHeaderStringAsync({
    payload: body,
    secret: options.secret ?? FAKE_WEBHOOK_SECRET,
    ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }),
    cryptoProvider: Stripe.createSubtleCryptoProvider(),
  });
  return {
    body,
    headers: { "content-type": "application/json", "stripe-signature": signature },
  };
}
