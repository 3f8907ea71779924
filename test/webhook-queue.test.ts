// The webhook pipeline as the queue drives it: the receiver writes nothing and queues the
// verified event whole; the consumer stores each event once (duplicates within a batch or across
// batches find the first row), applies it once, and acknowledges every message; the dead-letter
// consumer keeps an event that was never stored, as failed, for a replay. Bodies too large for a
// queue message are stored on receipt.
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { ReceivedEvent, WebhookMessage } from "../src/env";
import worker from "../src/index";
import { DAY } from "../src/lib/time";
import { QUEUES } from "../src/queues";
import { stripeEvent } from "./fakes/stripe-events";
import { count, type HeldQueues, holdQueues, signup } from "./helpers";
import {
  FREE_MINUTE,
  installFakes,
  limitsOf,
  PRO_MINUTE,
  stripeSubscription,
} from "./money-helpers";
import { deliver } from "./stripe-helpers";

let held: HeldQueues;
beforeEach(() => {
  held = holdQueues();
});

function received(event: Record<string, unknown>, id: string): ReceivedEvent {
  return {
    id,
    provider: "stripe",
    provider_event_id: event.id as string,
    type: event.type as string,
    occurred_at: Date.now(),
    received_at: Date.now(),
    payload: JSON.stringify(event),
  };
}

async function runQueue(queue: string, bodies: WebhookMessage[]) {
  const batch = createMessageBatch<WebhookMessage>(
    queue,
    bodies.map((body, i) => ({ id: `msg-${i}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  return getQueueResult(batch, ctx);
}

const rows = (providerEventId: string) =>
  count("select count(*) as n from webhook_events where provider_event_id = ?", providerEventId);

describe("webhook queue", () => {
  it("the receiver queues the verified event whole and writes nothing", async () => {
    const event = stripeEvent("customer.created", { id: "cus_q1", object: "customer" });
    vi.restoreAllMocks(); // see the message itself, not the stored id
    const sent = vi.spyOn(env.WEBHOOK_EVENTS, "send").mockResolvedValue({
      metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } },
    });
    expect((await deliver(event)).body).toStrictEqual({ received: true });
    expect(await rows(event.id as string)).toBe(0);
    const body = sent.mock.calls[0]?.[0] as { received: ReceivedEvent };
    expect(body.received).toMatchObject({
      provider: "stripe",
      provider_event_id: event.id,
      type: "customer.created",
      payload: JSON.stringify(event),
    });
  });

  it("a failed send is a 5xx (the provider retries), with nothing kept", async () => {
    vi.restoreAllMocks();
    vi.spyOn(env.WEBHOOK_EVENTS, "send").mockRejectedValue(new Error("queue unavailable"));
    const event = stripeEvent("customer.created", { id: "cus_q2", object: "customer" });
    expect((await deliver(event)).status).toBe(500);
    expect(await rows(event.id as string)).toBe(0);
  });

  it("stores each event once and applies it once, however often it is in the batches", async () => {
    const a = stripeEvent("customer.created", { id: "cus_qa", object: "customer" });
    const b = stripeEvent("customer.updated", { id: "cus_qb", object: "customer" });
    const first = await runQueue(QUEUES.webhookEvents, [
      { received: received(a, "evt_qa1") },
      { received: received(a, "evt_qa2") },
      { received: received(b, "evt_qb1") },
    ]);
    expect(first.explicitAcks.sort()).toStrictEqual(["msg-0", "msg-1", "msg-2"]);
    expect(first.retryMessages).toStrictEqual([]);
    // Again, in a later batch: acknowledged, nothing new.
    const again = await runQueue(QUEUES.webhookEvents, [{ received: received(a, "evt_qa3") }]);
    expect(again.explicitAcks).toStrictEqual(["msg-0"]);
    expect(await rows(a.id as string)).toBe(1);
    expect(await rows(b.id as string)).toBe(1);
    const stored = await env.DB.prepare(
      "select id, status, attempts from webhook_events where provider_event_id = ?",
    )
      .bind(a.id)
      .first();
    // The first delivery's row, applied (no handler: ignored) by exactly one message.
    expect(stored).toStrictEqual({ id: "evt_qa1", status: "ignored", attempts: 1 });
  });

  it("dead-lettered before it was stored, an event is kept as failed for a replay", async () => {
    const lost = stripeEvent("invoice.paid", { id: "in_q_lost", object: "invoice" });
    const result = await runQueue(QUEUES.webhookEventsDlq, [
      { received: received(lost, "evt_qlost") },
    ]);
    expect(result.explicitAcks).toStrictEqual(["msg-0"]);
    const row = await env.DB.prepare(
      "select id, status, last_error from webhook_events where provider_event_id = ?",
    )
      .bind(lost.id)
      .first();
    expect(row).toStrictEqual({
      id: "evt_qlost",
      status: "failed",
      last_error: "retries exhausted",
    });
  });

  it("a batch's events for a user re-sync its limiter once, after the last of them", async () => {
    const { stripe } = installFakes();
    const user = await signup("queue-sync");
    const now = Date.now();
    const sub = await stripeSubscription(stripe, user, { start: now - DAY, end: now + 29 * DAY });
    expect((await limitsOf(user)).minute).toBe(PRO_MINUTE);
    const remote = stripe.subscriptions.get(sub.stripeId) ?? {};
    const updated = stripeEvent("customer.subscription.updated", structuredClone(remote));
    const deleted = stripeEvent("customer.subscription.deleted", {
      ...structuredClone(remote),
      status: "canceled",
    });
    const pushes = vi.spyOn(env.RATE_LIMITER, "get");
    const result = await runQueue(QUEUES.webhookEvents, [
      { received: received(updated, "evt_qsync1") },
      { received: received(deleted, "evt_qsync2") },
    ]);
    expect(result.explicitAcks.sort()).toStrictEqual(["msg-0", "msg-1"]);
    expect(pushes).toHaveBeenCalledTimes(1);
    // In force on the next request: back on the free plan.
    expect((await limitsOf(user)).minute).toBe(FREE_MINUTE);
  });

  it("a body too large for a queue message is stored on receipt and queued by id", async () => {
    const big = stripeEvent("customer.created", {
      id: "cus_qbig",
      object: "customer",
      metadata: { notes: "x".repeat(120 * 1024) },
    });
    expect((await deliver(big)).body).toStrictEqual({ received: true, duplicate: false });
    expect((await deliver(big)).body).toStrictEqual({ received: true, duplicate: true });
    expect(await rows(big.id as string)).toBe(1);
    expect(held.messages).toStrictEqual([{ event_id: held.events[0] }]);
  });
});
