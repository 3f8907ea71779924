// Receiving PayPal's webhooks: each delivery is confirmed with PayPal (its headers, our webhook
// id, the event byte for byte) before anything is stored or queued.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { DAY } from "../src/lib/time";
import { applyWebhookEvent } from "../src/webhooks/consumer";
import { subscriptionById } from "./fixtures";
import { api, count, minuteLimit, testContext } from "./helpers";
import {
  checkout,
  deliver,
  iso,
  paypal,
  queued,
  setUpPayPal,
  signatureHeaders,
  storedEventId,
} from "./paypal-helpers";

beforeEach(setUpPayPal);

describe("PayPal webhook verification", () => {
  it("asks PayPal with the delivery's headers, our webhook id and the event byte for byte", async () => {
    const bought = await checkout();
    const event = paypal.subscriptionEvent(
      "BILLING.SUBSCRIPTION.CREATED",
      bought.paypalId,
      iso(Date.now()),
    );
    const res = await deliver(event, "tx-verify-1");
    expect(res.status).toBe(200);
    expect(res.body).toStrictEqual({ received: true });
    const [verify] = paypal.callsTo("POST", "/v1/notifications/verify-webhook-signature");
    expect(verify?.body).toStrictEqual({
      auth_algo: "SHA256withRSA",
      cert_url: "https://api.paypal.fake/v1/notifications/certs/CERT-360caa42-fca2a594",
      transmission_id: "tx-verify-1",
      transmission_sig: "c2lnbmF0dXJlLW9mLXRoZS1kZWxpdmVyeQ==",
      transmission_time: event.create_time,
      webhook_id: "WH-TEST",
      webhook_event: event,
    });
    const stored = await env.DB.prepare(
      "select type, occurred_at, status from webhook_events where provider_event_id = ?",
    )
      .bind(event.id)
      .first();
    expect(stored).toStrictEqual({
      type: "BILLING.SUBSCRIPTION.CREATED",
      occurred_at: Date.parse(event.create_time),
      status: "pending",
    });
    expect(queued).toStrictEqual([await storedEventId(event.id)]);
    // A type without a handler is stored and marked ignored.
    expect(await applyWebhookEvent(testContext(), await storedEventId(event.id))).toBe("ignored");
  });

  it("a delivery PayPal does not confirm is a 400 invalid_signature; nothing is stored or queued", async () => {
    const bought = await checkout();
    paypal.activate(bought.paypalId, iso(Date.now()), iso(Date.now() + 30 * DAY));
    const event = paypal.subscriptionEvent(
      "BILLING.SUBSCRIPTION.ACTIVATED",
      bought.paypalId,
      iso(Date.now()),
    );
    paypal.failVerificationFor("tx-forged");
    const res = await deliver(event, "tx-forged");
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("invalid_signature");
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(
      await count("select count(*) as n from webhook_events where provider_event_id = ?", event.id),
    ).toBe(0);
    expect(queued).toStrictEqual([]);
    expect((await subscriptionById(bought.subscriptionId)).status).toBe("incomplete");
    expect(await minuteLimit(bought.user)).toBe(20);
  });

  it("missing headers, a body that is not JSON, and a failing verification call are all invalid_signature", async () => {
    const event = {
      id: "WH-NOHEADERS",
      event_type: "PAYMENT.SALE.COMPLETED",
      create_time: iso(Date.now()),
      resource: {},
    };
    const headers = signatureHeaders("tx-1", event.create_time);
    for (const missing of Object.keys(headers).filter((h) => h.startsWith("paypal-"))) {
      const partial = { ...headers };
      delete partial[missing];
      const res = await api("POST", "/v1/webhooks/paypal", {
        rawBody: JSON.stringify(event),
        headers: partial,
      });
      expect([missing, res.status, res.body.code]).toStrictEqual([
        missing,
        400,
        "invalid_signature",
      ]);
    }
    const notJson = await api("POST", "/v1/webhooks/paypal", { rawBody: "{not json", headers });
    expect([notJson.status, notJson.body.code]).toStrictEqual([400, "invalid_signature"]);
    const notEvent = await api("POST", "/v1/webhooks/paypal", { rawBody: '{"id":"x"}', headers });
    expect([notEvent.status, notEvent.body.code]).toStrictEqual([400, "invalid_signature"]);
    // None of those reached PayPal.
    expect(paypal.callsTo("POST", "/v1/notifications/verify-webhook-signature")).toHaveLength(0);

    paypal.failNext(
      "POST",
      "/v1/notifications/verify-webhook-signature",
      () => new Response('{"name":"INTERNAL_SERVER_ERROR"}', { status: 503 }),
    );
    const down = await api("POST", "/v1/webhooks/paypal", {
      rawBody: JSON.stringify(event),
      headers,
    });
    expect([down.status, down.body.code]).toStrictEqual([400, "invalid_signature"]);
    expect(
      await count("select count(*) as n from webhook_events where provider_event_id = ?", event.id),
    ).toBe(0);
    expect(queued).toStrictEqual([]);
  });
});
