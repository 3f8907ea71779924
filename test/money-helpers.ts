// Shared by the money and privacy tests: subscribers known to D1 and to the Stripe and PayPal
// fakes, the limits a user's next request gets, and provider events delivered through the
// webhook endpoints and applied as the queue consumer would.
import { env } from "cloudflare:workers";
import { expect, vi } from "vitest";
import { runJob } from "../src/cron/runner";
import { openDb } from "../src/db";
import { applyWebhookEvent } from "../src/webhooks/consumer";
import { FakePayPal, type FakeSubscription, PAYPAL_BASE, type PayPalEvent } from "./fakes/paypal";
import { FAKE_STRIPE_BASE, FakeStripe, signedDelivery } from "./fakes/stripe";
import {
  insertSubscription as insertSubscriptionRow,
  type SubscriptionFields,
  sellAt,
  subscriptionById,
} from "./fixtures";
import { api, holdQueues, login, type TestUser, testContext } from "./helpers";

export const db = openDb(env.DB);
export const PRO_MINUTE = 200;
export const BASIC_MINUTE = 60;
export const FREE_MINUTE = 20;

export const iso = (ms: number) => new Date(ms).toISOString();
const seconds = (ms: number) => Math.floor(ms / 1000);

/**
 * The Stripe and PayPal fakes behind one fetch spy (each fake's own install() would replace the
 * other's); every other URL goes to the real fetch.
 */
export function installFakes(): { stripe: FakeStripe; paypal: FakePayPal } {
  const stripe = new FakeStripe();
  const paypal = new FakePayPal();
  const real = globalThis.fetch.bind(globalThis);
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    if (request.url.startsWith(FAKE_STRIPE_BASE)) return stripe.handle(request);
    if (request.url.startsWith(PAYPAL_BASE)) return paypal.handle(request);
    return real(input, init);
  });
  return { stripe, paypal };
}

/** Event ids the webhook receiver queued (the real queue never sees them). */
let queued: string[] = [];

/**
 * Plans purchasable through both providers, and the queues kept from their consumers (tests
 * apply webhook events themselves). Call in beforeEach.
 */
export async function setUpBilling(): Promise<void> {
  queued = holdQueues().events;
  await sellAt("stripe", "basic", "pro");
  await sellAt("paypal", "basic", "pro");
}

export interface Period {
  start: number;
  end: number;
}

/** The shared fixture's subscription row (an active monthly manual Pro one unless told); its id. */
export async function insertSubscription(
  userId: string,
  fields: SubscriptionFields,
): Promise<string> {
  return (await insertSubscriptionRow(userId, fields)).id;
}

export const subscriptionRow = subscriptionById;

export interface StripeSubscriber {
  subscriptionId: string;
  stripeId: string;
}

/** An active Stripe subscription to Pro (or `plan`) for the user, in D1 and at the fake. */
export async function stripeSubscription(
  fake: FakeStripe,
  user: TestUser,
  period: Period,
  plan: "basic" | "pro" = "pro",
): Promise<StripeSubscriber> {
  const customer = `cus_${user.id}`;
  fake.customers.set(customer, { id: customer, object: "customer", email: user.email });
  const remote = fake.addSubscription({
    customer,
    price: plan === "pro" ? "price_pro_m" : "price_basic_m",
    periodStart: seconds(period.start),
    periodEnd: seconds(period.end),
    metadata: { user_id: user.id },
  });
  const stripeId = remote.id as string;
  const subscriptionId = await insertSubscription(user.id, {
    planId: `pln_${plan}`,
    provider: "stripe",
    providerSubscriptionId: stripeId,
    providerCustomerId: customer,
    currentPeriodStart: period.start,
    currentPeriodEnd: period.end,
    createdAt: period.start,
  });
  await env.DB.prepare(
    "insert into billing_customers (user_id, provider, customer_id, created_at) values (?, 'stripe', ?, ?) on conflict do nothing",
  )
    .bind(user.id, customer, period.start)
    .run();
  return { subscriptionId, stripeId };
}

export interface PayPalSubscriber {
  subscriptionId: string;
  paypalId: string;
  remote: FakeSubscription;
}

/** An active PayPal subscription to Pro (monthly) for the user, in D1 and at the fake. */
export async function paypalSubscription(
  paypal: FakePayPal,
  user: TestUser,
  period: Period,
): Promise<PayPalSubscriber> {
  const paypalId = `I-${crypto.randomUUID().replaceAll("-", "").slice(0, 12).toUpperCase()}`;
  const remote: FakeSubscription = {
    id: paypalId,
    plan_id: "P-PRO-MONTH",
    status: "ACTIVE",
    status_update_time: iso(period.start),
    start_time: iso(period.start),
    create_time: iso(period.start),
    update_time: iso(period.start),
    billing_info: {
      failed_payments_count: 0,
      next_billing_time: iso(period.end),
      last_payment: { amount: { currency_code: "USD", value: "29.00" }, time: iso(period.start) },
    },
    links: [],
  };
  paypal.subscriptions.set(paypalId, remote);
  const subscriptionId = await insertSubscription(user.id, {
    provider: "paypal",
    providerSubscriptionId: paypalId,
    currentPeriodStart: period.start,
    currentPeriodEnd: period.end,
    providerStateAt: period.start,
    createdAt: period.start,
  });
  return { subscriptionId, paypalId, remote };
}

/** What the user's next request is limited to: the minute limit and the RateLimit-Policy. */
export async function limitsOf(user: TestUser): Promise<{ minute: number | null; policy: string }> {
  const res = await api<{ windows: { minute: { limit: number | null } } }>("GET", "/v1/ping", {
    token: user.accessToken,
  });
  expect(res.status, res.text).toBe(200);
  return {
    minute: res.body.windows.minute.limit,
    policy: res.headers.get("RateLimit-Policy") ?? "",
  };
}

/** The policy header a plan's minute limit shows in. */
export const minutePolicy = (limit: number) => `"minute";q=${limit};w=60`;

export async function showSubscription(user: TestUser) {
  const res = await api<{ subscription: Record<string, unknown> | null }>(
    "GET",
    "/v1/subscription",
    { token: user.accessToken },
  );
  expect(res.status, res.text).toBe(200);
  return res.body.subscription;
}

/** Applies every queued event as the queue consumer would; answers their outcomes. */
async function drain(): Promise<string[]> {
  const outcomes: string[] = [];
  for (const id of queued.splice(0)) {
    outcomes.push(await applyWebhookEvent(testContext(), id));
  }
  return outcomes;
}

/** A signed Stripe delivery to the webhook endpoint, applied. */
export async function receiveStripe(event: Record<string, unknown>): Promise<void> {
  const { body, headers } = await signedDelivery(event);
  const res = await api("POST", "/v1/webhooks/stripe", { rawBody: body, headers });
  expect(res.status, res.text).toBe(200);
  expect(await drain()).toEqual(["processed"]);
}

/** A PayPal delivery (the fake confirms its signature) to the webhook endpoint, applied. */
export async function receivePayPal(event: PayPalEvent): Promise<void> {
  const res = await api("POST", "/v1/webhooks/paypal", {
    rawBody: JSON.stringify(event),
    headers: {
      "content-type": "application/json",
      "paypal-auth-algo": "SHA256withRSA",
      "paypal-cert-url": "https://api.paypal.fake/v1/notifications/certs/CERT-1",
      "paypal-transmission-id": crypto.randomUUID(),
      "paypal-transmission-sig": "c2lnbmF0dXJl",
      "paypal-transmission-time": event.create_time,
    },
  });
  expect(res.status, res.text).toBe(200);
  expect(await drain()).toEqual(["processed"]);
}

export const changePlan = (user: TestUser, plan_id: string) =>
  api<Record<string, unknown>>("POST", "/v1/subscription/change", {
    token: user.accessToken,
    body: { plan_id, interval: "month" },
  });

/** The same user with a token issued at the (moved) current time. */
export async function relogin(user: TestUser): Promise<TestUser> {
  const res = await login(user.email);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return { ...user, accessToken: res.body.access_token };
}

/** Runs the renewals job at `at`; answers the counts that are not zero. */
export async function renewals(at: number): Promise<Record<string, number>> {
  const run = await runJob(env, "renewals", "admin", at);
  expect(run.status, run.error ?? "").toBe("ok");
  return Object.fromEntries(Object.entries(run.counts).filter(([, n]) => n !== 0));
}

/**
 * beforeEach of the files that run the renewals job: it works on whole tables, shared by a
 * file's tests, so they start clean. Enterprise is purchasable at Stripe too (for upgrades).
 */
export async function cleanSubscriptions(): Promise<void> {
  await env.DB.batch([
    env.DB.prepare("delete from payments"),
    env.DB.prepare("delete from subscriptions"),
  ]);
  await sellAt("stripe", "enterprise");
}
