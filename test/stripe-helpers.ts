// What the stripe-*.test.ts files share: a fresh fake Stripe and held queues for each test, the
// plans' Stripe prices, the provider, signed deliveries applied as the queue consumer would, a
// buyer who went through checkout, and the rows and limits those leave.
import { env } from "cloudflare:workers";
import { asc, eq, sql } from "drizzle-orm";
import { expect } from "vitest";
import { openDb } from "../src/db";
import { type Coupon, type Plan, payments, plans, subscriptions } from "../src/db/schema";
import { loadConfig } from "../src/env";
import { ApiError } from "../src/lib/errors";
import type { BillingProvider } from "../src/payments/provider";
import { createStripeProvider } from "../src/payments/stripe";
import { applyWebhookEvent } from "../src/webhooks/consumer";
import {
  type FakeStripe,
  installFakeStripe,
  invoiceObject,
  signedDelivery,
  stripeEvent,
} from "./fakes/stripe";
import { type CouponFields, insertCoupon, insertSubscription, sellAt } from "./fixtures";
import { api, holdQueues, type TestUser, testContext } from "./helpers";

export type Json = Record<string, unknown>;

/** The fake Stripe of the running test. */
export let fake: FakeStripe;
/** Event ids the webhook receiver queued, in order (the real queue never sees them). */
export let queued: string[];
/** The outbox ids of each batch handed to the emails queue. */
export let emailBatches: string[][];

/**
 * beforeEach of every stripe-*.test.ts (with vi.restoreAllMocks after each): a fresh fake, held
 * queues, and the purchasable plans' prices. Basic and Pro have a 14-day trial, Enterprise none.
 */
export async function setUpStripe(): Promise<void> {
  fake = installFakeStripe();
  ({ events: queued, emails: emailBatches } = holdQueues());
  await sellAt("stripe", "basic", "pro", "enterprise");
}

export const db = () => openDb(env.DB);
export const config = () => loadConfig(env);
export const stripe = (): BillingProvider => {
  const provider = createStripeProvider(config());
  if (!provider) throw new Error("Stripe is not configured in the test bindings");
  return provider;
};
export const seconds = () => Math.floor(Date.now() / 1000);

export async function plan(code: string): Promise<Plan> {
  const row = await db().query.plans.findFirst({ where: eq(plans.code, code) });
  if (!row) throw new Error(`no plan ${code}`);
  return row;
}

/** A coupon named Launch: 20% off for 3 months, unless `fields` say otherwise. */
export function launchCoupon(fields: CouponFields = {}): Promise<Coupon> {
  return insertCoupon({
    name: "Launch",
    percentOff: 20,
    duration: "repeating",
    durationMonths: 3,
    ...fields,
  });
}

/** What the checkout route records before sending the buyer to Stripe; answers its id. */
export async function insertIncomplete(
  user: TestUser,
  planId: string,
  couponId: string | null = null,
): Promise<string> {
  const row = await insertSubscription(user.id, {
    planId,
    status: "incomplete",
    provider: "stripe",
    couponId,
  });
  return row.id;
}

/** A user's subscriptions, oldest first. */
export function subscriptionsOf(userId: string) {
  return db().query.subscriptions.findMany({
    where: eq(subscriptions.userId, userId),
    orderBy: [asc(subscriptions.createdAt), sql`rowid`],
  });
}

/** A user's payments, oldest first. */
export function paymentsOf(userId: string) {
  return db().query.payments.findMany({
    where: eq(payments.userId, userId),
    orderBy: [asc(payments.createdAt), sql`rowid`],
  });
}

/** The trial_ending and payment_failed emails written for a user, oldest first. */
export async function outboxOf(userId: string) {
  const { results } = await env.DB.prepare(
    "select id, template, to_address, subject, text_body from email_outbox where user_id = ? and template in ('trial_ending', 'payment_failed') order by created_at, rowid",
  )
    .bind(userId)
    .all<{
      id: string;
      template: string;
      to_address: string;
      subject: string;
      text_body: string;
    }>();
  return results;
}

/** POSTs a signed Stripe delivery to the webhook endpoint. */
export async function deliver(
  event: Json | string,
  options: { secret?: string; timestamp?: number } = {},
) {
  const { body, headers } = await signedDelivery(event, options);
  return api<{ received?: boolean; duplicate?: boolean; code?: string }>(
    "POST",
    "/v1/webhooks/stripe",
    { rawBody: body, headers },
  );
}

/** Applies every queued event, as the queue consumer would, in order. */
export async function drain() {
  const outcomes: string[] = [];
  for (const id of queued.splice(0)) {
    outcomes.push(await applyWebhookEvent(testContext(), id));
  }
  return outcomes;
}

/** Delivers one event and applies it; expects it stored and processed. */
export async function receive(event: Json): Promise<void> {
  const res = await deliver(event);
  expect(res.status, res.text).toBe(200);
  expect(res.body).toEqual({ received: true });
  expect(await drain()).toEqual(["processed"]);
}

/** The minute limit and the standing the user's next request gets. */
export async function ping(user: TestUser) {
  const res = await api<{ standing: string; windows: { minute: { limit: number | null } } }>(
    "GET",
    "/v1/ping",
    { token: user.accessToken },
  );
  expect(res.status).toBe(200);
  return { limit: res.body.windows.minute.limit, standing: res.body.standing };
}

export interface Subscribed {
  ourId: string;
  customerId: string;
  subscription: Json;
  stripeId: string;
}

/**
 * A user who bought `code` through Stripe: the local record the checkout route makes, the
 * provider's checkout, the buyer completing it, and the session + subscription events.
 */
export async function subscribe(
  user: TestUser,
  code: string,
  options: { status?: string; coupon?: Coupon; created?: number } = {},
): Promise<Subscribed> {
  const target = await plan(code);
  const ourId = await insertIncomplete(user, target.id, options.coupon?.id ?? null);
  const result = await stripe().createCheckout({
    user: { id: user.id, email: user.email },
    plan: target,
    interval: "month",
    coupon: options.coupon ?? null,
    successUrl: "https://app.test/billing/done",
    cancelUrl: "https://app.test/billing",
    customerId: null,
    subscriptionId: ourId,
  });
  const session = [...fake.sessions.values()].find((s) => s.url === result.checkoutUrl);
  if (!session || !result.customerId) throw new Error("no checkout session");
  const done = fake.completeCheckout(session.id as string, {
    ...(options.status ? { status: options.status } : {}),
  });
  await receive(stripeEvent("checkout.session.completed", done.session));
  await receive(
    stripeEvent("customer.subscription.created", done.subscription, {
      created: options.created ?? seconds(),
    }),
  );
  return {
    ourId,
    customerId: result.customerId,
    subscription: done.subscription,
    stripeId: done.subscription.id as string,
  };
}

/** A paid invoice of the subscriber's subscription. */
export function paidInvoice(s: Subscribed, amount: number, extra: { charge?: string | null } = {}) {
  return invoiceObject({
    customer: s.customerId,
    subscription: s.stripeId,
    subscriptionMetadata: s.subscription.metadata as Record<string, string>,
    amount,
    ...extra,
  });
}

/** A copy of a Stripe subscription with some fields changed. */
export function changed(subscription: Json, fields: Json): Json {
  return { ...structuredClone(subscription), ...fields };
}

/** Asserts the promise fails with an ApiError of that code and status; answers the error. */
export async function expectApiError(promise: Promise<unknown>, code: string, status: number) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  expect((error as ApiError).code).toBe(code);
  expect((error as ApiError).status).toBe(status);
  return error as ApiError;
}
