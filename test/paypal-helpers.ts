// What the paypal-*.test.ts files share: a fresh fake PayPal and held queues for each test, the
// plans' PayPal plan ids, deliveries as PayPal sends them, applied as the queue consumer (or the
// Worker's queue handler) would, and buyers who went through checkout.
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { openDb } from "../src/db";
import { loadConfig } from "../src/env";
import worker from "../src/index";
import { DAY } from "../src/lib/time";
import { clearPayPalTokenCache } from "../src/payments/paypal-client";
import { applyWebhookEvent } from "../src/webhooks/consumer";
import { FakePayPal, type PayPalEvent } from "./fakes/paypal";
import { sellAt, subscriptionById } from "./fixtures";
import { api, holdQueues, signup, type TestUser, testContext } from "./helpers";

export const db = openDb(env.DB);
export const config = () => loadConfig(env);
export const iso = (ms: number) => new Date(ms).toISOString();
const WEBHOOK_QUEUE = "tollgate-webhook-events";

/** The fake PayPal of the running test. */
export let paypal: FakePayPal;
/** Event ids the receiver sent to the webhook queue (kept from the real queue). */
export let queued: string[];
/** The outbox ids of each batch handed to the emails queue. */
export let emailBatches: string[][];

/**
 * beforeEach of every paypal-*.test.ts (with vi.restoreAllMocks after each): no cached token, a
 * fresh fake, held queues, and PayPal plan ids on Basic and Pro.
 */
export async function setUpPayPal(): Promise<void> {
  clearPayPalTokenCache();
  paypal = new FakePayPal().install();
  ({ events: queued, emails: emailBatches } = holdQueues());
  await sellAt("paypal", "basic", "pro");
}

export function signatureHeaders(transmissionId: string, time: string): Record<string, string> {
  return {
    "content-type": "application/json",
    "paypal-auth-algo": "SHA256withRSA",
    "paypal-cert-url": "https://api.paypal.fake/v1/notifications/certs/CERT-360caa42-fca2a594",
    "paypal-transmission-id": transmissionId,
    "paypal-transmission-sig": "c2lnbmF0dXJlLW9mLXRoZS1kZWxpdmVyeQ==",
    "paypal-transmission-time": time,
  };
}

/** POSTs the event to the receiver the way PayPal delivers it. */
export function deliver(event: PayPalEvent, transmissionId: string = crypto.randomUUID()) {
  return api<{ received: boolean; duplicate: boolean; code?: string }>(
    "POST",
    "/v1/webhooks/paypal",
    {
      rawBody: JSON.stringify(event),
      headers: signatureHeaders(transmissionId, event.create_time),
    },
  );
}

export async function storedEventId(providerEventId: string): Promise<string> {
  const row = await env.DB.prepare(
    "select id from webhook_events where provider = 'paypal' and provider_event_id = ?",
  )
    .bind(providerEventId)
    .first<{ id: string }>();
  if (!row) throw new Error(`event ${providerEventId} was not stored`);
  return row.id;
}

/** Delivers (verified by the fake) and applies the event as the queue consumer would. */
export async function receive(event: PayPalEvent) {
  const res = await deliver(event);
  expect(res.status).toBe(200);
  return applyWebhookEvent(testContext(), await storedEventId(event.id));
}

/** Runs the Worker's queue handler on these stored events (one message each). */
export async function runWebhookQueue(eventIds: string[]) {
  const batch = createMessageBatch(
    WEBHOOK_QUEUE,
    eventIds.map((id, i) => ({
      id: `msg-${i}`,
      timestamp: new Date(),
      attempts: 1,
      body: { event_id: id },
    })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  return getQueueResult(batch, ctx);
}

export interface Checkout {
  user: TestUser;
  subscriptionId: string;
  paypalId: string;
  checkoutUrl: string;
}

/** POST /v1/subscription/checkout through the Worker, as a client would. */
export async function checkout(
  options: { plan?: string; interval?: "month" | "year"; coupon?: string; user?: TestUser } = {},
): Promise<Checkout> {
  const user = options.user ?? (await signup("paypal"));
  const res = await api<{ provider: string; checkout_url: string; subscription_id: string }>(
    "POST",
    "/v1/subscription/checkout",
    {
      token: user.accessToken,
      body: {
        plan_id: options.plan ?? "pln_pro",
        interval: options.interval ?? "month",
        provider: "paypal",
        ...(options.coupon ? { coupon_code: options.coupon } : {}),
        success_url: "https://app.test/billing/done",
        cancel_url: "https://app.test/billing/cancel",
      },
    },
  );
  if (res.status !== 201) throw new Error(`checkout failed: ${res.status} ${res.text}`);
  const row = await subscriptionById(res.body.subscription_id);
  if (!row.providerSubscriptionId) throw new Error("checkout stored no PayPal subscription id");
  return {
    user,
    subscriptionId: res.body.subscription_id,
    paypalId: row.providerSubscriptionId,
    checkoutUrl: res.body.checkout_url,
  };
}

/** Checkout, then the buyer approves and PayPal sends ACTIVATED: the subscription is active. */
export async function activeSubscription(t0: number, options: Parameters<typeof checkout>[0] = {}) {
  const bought = await checkout(options);
  paypal.activate(bought.paypalId, iso(t0), iso(t0 + 30 * DAY), {
    value: "29.00",
    currency_code: "USD",
  });
  const outcome = await receive(
    paypal.subscriptionEvent("BILLING.SUBSCRIPTION.ACTIVATED", bought.paypalId, iso(t0 + 1000)),
  );
  expect(outcome).toBe("processed");
  return bought;
}
