import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import type { Config } from "../src/env";
import { ApiError } from "../src/lib/errors";
import { stripeVerifier } from "../src/webhooks/stripe-events/verify";

// Stripe's signature scheme, checked without the SDK; the SDK signs the deliveries here.
const SECRET = "whsec_unit_test_secret";
const config = { STRIPE_WEBHOOK_SECRET: SECRET } as Config;
const NOW = Date.UTC(2026, 10, 29, 12);
const event = JSON.stringify({ id: "evt_1", type: "invoice.paid", created: NOW / 1000 - 10 });

function delivery(header: string, body = event) {
  return new Request("https://api.test/v1/webhooks/stripe", {
    method: "POST",
    headers: { "stripe-signature": header },
    body,
  });
}

const sign = (body: string, secret = SECRET, timestamp = NOW / 1000) =>
  Stripe.webhooks.generateTestHeaderStringAsync({ payload: body, secret, timestamp });

async function refusal(header: string, body = event): Promise<string> {
  try {
    await stripeVerifier.verify(delivery(header, body), body, config, NOW);
  } catch (error) {
    if (error instanceof ApiError) return error.code;
    throw error;
  }
  throw new Error("accepted");
}

describe("Stripe webhook signature", () => {
  it("accepts Stripe's own signature and reads the event", async () => {
    const verified = await stripeVerifier.verify(delivery(await sign(event)), event, config, NOW);
    expect(verified).toEqual({
      providerEventId: "evt_1",
      type: "invoice.paid",
      occurredAt: NOW - 10_000,
    });
  });

  it("accepts any one of several v1 signatures (a secret being rolled)", async () => {
    const other = (await sign(event, "whsec_old_secret")).split(",")[1];
    const header = `${await sign(event)},${other}`;
    await expect(stripeVerifier.verify(delivery(header), event, config, NOW)).resolves.toBeTruthy();
  });

  it("refuses another secret, a changed body, an old delivery and a malformed header", async () => {
    expect(await refusal(await sign(event, "whsec_other"))).toBe("invalid_signature");
    expect(await refusal(await sign(event), event.replace("evt_1", "evt_2"))).toBe(
      "invalid_signature",
    );
    expect(await refusal(await sign(event, SECRET, NOW / 1000 - 301))).toBe("invalid_signature");
    expect(await refusal("t=abc,v1=zz")).toBe("invalid_signature");
    expect(await refusal(`t=${NOW / 1000}`)).toBe("invalid_signature");
  });

  it("a signed body that is not an event is invalid input, not a 500", async () => {
    const body = JSON.stringify({ hello: "world" });
    expect(await refusal(await sign(body), body)).toBe("invalid_request");
  });
});
