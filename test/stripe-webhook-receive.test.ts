// Receiving Stripe's webhooks: signatures checked before anything is stored, events without a
// handler marked ignored, redeliveries deduplicated, and the Worker's queue handler applying
// what was stored.
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import worker from "../src/index";
import { applyWebhookEvent } from "../src/webhooks/consumer";
import {
  FAKE_WEBHOOK_SECRET,
  signedDelivery,
  stripeEvent,
  subscriptionObject,
} from "./fakes/stripe";
import { api, count, signup, testContext } from "./helpers";
import {
  config,
  deliver,
  drain,
  paidInvoice,
  queued,
  receive,
  seconds,
  setUpStripe,
  subscribe,
  subscriptionsOf,
} from "./stripe-helpers";

beforeEach(setUpStripe);

describe("Stripe webhooks: receiving", () => {
  it("refuses a bad signature with 400 invalid_signature and stores nothing", async () => {
    const event = stripeEvent("invoice.paid", { id: "in_bad", object: "invoice" });
    const body = JSON.stringify(event);
    const good = await signedDelivery(body);
    const attempts = [
      // Signed with another secret.
      await deliver(body, { secret: "whsec_someone_else" }),
      // Body changed after signing.
      await api<{ code: string }>("POST", "/v1/webhooks/stripe", {
        rawBody: body.replace("in_bad", "in_bad2"),
        headers: good.headers,
      }),
      // No signature.
      await api<{ code: string }>("POST", "/v1/webhooks/stripe", {
        rawBody: body,
        headers: { "content-type": "application/json" },
      }),
      // Signed ten minutes ago: older than the tolerance.
      await deliver(body, { timestamp: seconds() - 600 }),
      // Garbage header.
      await api<{ code: string }>("POST", "/v1/webhooks/stripe", {
        rawBody: body,
        headers: { "content-type": "application/json", "stripe-signature": "t=1,v1=abc" },
      }),
    ];
    expect(attempts.map((a) => [a.status, a.body?.code])).toEqual(
      Array.from({ length: 5 }, () => [400, "invalid_signature"]),
    );
    expect(attempts[0]?.headers.get("content-type")).toContain("application/problem+json");
    expect(
      await count("select count(*) as n from webhook_events where provider_event_id = ?", event.id),
    ).toBe(0);
    expect(queued).toEqual([]);

    // The same body, signed right, is accepted.
    const ok = await api("POST", "/v1/webhooks/stripe", { rawBody: body, headers: good.headers });
    expect(ok.status).toBe(200);
    expect(
      await count("select count(*) as n from webhook_events where provider_event_id = ?", event.id),
    ).toBe(1);
    expect(FAKE_WEBHOOK_SECRET).toBe(config().STRIPE_WEBHOOK_SECRET);
  });

  it("an event type without a handler is stored and marked ignored", async () => {
    const event = stripeEvent("customer.updated", { id: "cus_ignored", object: "customer" });
    expect((await deliver(event)).status).toBe(200);
    expect(await drain()).toEqual(["ignored"]);
    const row = await env.DB.prepare(
      "select status, type, occurred_at from webhook_events where provider = 'stripe' and provider_event_id = ?",
    )
      .bind(event.id)
      .first();
    expect(row).toEqual({
      status: "ignored",
      type: "customer.updated",
      occurred_at: (event.created as number) * 1000,
    });
  });

  it("the same event delivered five times makes one payment", async () => {
    const user = await signup("stripe-dupes");
    const s = await subscribe(user, "enterprise");
    const event = stripeEvent("invoice.paid", paidInvoice(s, 19900, { charge: "ch_dupe" }));
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push((await deliver(event)).body);
    // Nothing is written on receipt: each delivery is queued, and storing dedupes them.
    expect(answers).toEqual(Array.from({ length: 5 }, () => ({ received: true })));
    expect(queued).toHaveLength(5);
    expect(new Set(queued).size).toBe(1);
    const eventId = queued[0] as string;
    expect(await drain()).toEqual(["processed", "skipped", "skipped", "skipped", "skipped"]);
    // A redelivered queue message for it changes nothing.
    expect(await applyWebhookEvent(testContext(), eventId)).toBe("skipped");
    expect(await count("select count(*) as n from payments where user_id = ?", user.id)).toBe(1);
    expect(
      await count("select count(*) as n from webhook_events where provider_event_id = ?", event.id),
    ).toBe(1);

    // Another event about the same charge (invoice.payment_succeeded's twin) adds no row either.
    await receive(stripeEvent("invoice.paid", paidInvoice(s, 19900, { charge: "ch_dupe" })));
    expect(await count("select count(*) as n from payments where user_id = ?", user.id)).toBe(1);
  });

  it("the Worker's queue handler applies a stored event and acks it", async () => {
    const user = await signup("stripe-queue");
    const subscription = subscriptionObject({
      customer: "cus_queue",
      price: "price_pro_m",
      metadata: { user_id: user.id },
    });
    expect((await deliver(stripeEvent("customer.subscription.created", subscription))).status).toBe(
      200,
    );
    const [eventId] = queued.splice(0);
    const batch = createMessageBatch("tollgate-webhook-events", [
      { id: "msg-1", timestamp: new Date(), attempts: 1, body: { event_id: eventId } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual(["msg-1"]);
    expect(result.retryMessages).toEqual([]);
    expect(
      await env.DB.prepare("select status from webhook_events where id = ?")
        .bind(eventId)
        .first("status"),
    ).toBe("processed");
    expect((await subscriptionsOf(user.id)).map((r) => r.status)).toEqual(["active"]);
  });
});
