import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { openDb } from "../src/db";
import { type Coupon, type Plan, plans, type Subscription } from "../src/db/schema";
import { loadConfig } from "../src/env";
import worker from "../src/index";
import { ApiError } from "../src/lib/errors";
import type { BillingProvider } from "../src/payments/provider";
import { createBillingPortalSession, createStripeProvider } from "../src/payments/stripe";
import { mapStripeStatus, subscriptionState } from "../src/payments/stripe-state";
import { applyWebhookEvent } from "../src/webhooks/consumer";
import { formatMoney } from "../src/webhooks/stripe-events/invoices";
import {
  chargeObject,
  FAKE_WEBHOOK_SECRET,
  type FakeStripe,
  installFakeStripe,
  invoiceObject,
  signedDelivery,
  stripeEvent,
  subscriptionObject,
} from "./fakes/stripe";
import { api, appEnv, count, signup, type TestUser } from "./helpers";

type Json = Record<string, unknown>;

let fake: FakeStripe;
/** Event ids the webhook receiver queued, in order (the real queue never sees them). */
let queued: string[];
let emailBatches: string[][];

beforeEach(async () => {
  fake = installFakeStripe();
  queued = [];
  emailBatches = [];
  vi.spyOn(appEnv.WEBHOOK_EVENTS, "send").mockImplementation(async (body) => {
    queued.push(body.event_id);
    return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } };
  });
  vi.spyOn(appEnv.EMAILS, "sendBatch").mockImplementation(async (messages) => {
    emailBatches.push([...messages].map((m) => m.body.outbox_id));
    return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } };
  });
  // Purchasable plans: Basic and Pro have a 14-day trial, Enterprise none.
  await env.DB.batch([
    env.DB.prepare(
      "update plans set stripe_price_month = 'price_basic_m', stripe_price_year = 'price_basic_y' where code = 'basic'",
    ),
    env.DB.prepare(
      "update plans set stripe_price_month = 'price_pro_m', stripe_price_year = 'price_pro_y' where code = 'pro'",
    ),
    env.DB.prepare(
      "update plans set stripe_price_month = 'price_ent_m', stripe_price_year = 'price_ent_y' where code = 'enterprise'",
    ),
  ]);
});

afterEach(() => {
  vi.restoreAllMocks();
});

const db = () => openDb(env.DB);
const config = () => loadConfig(env);
const stripe = (): BillingProvider => {
  const provider = createStripeProvider(config());
  if (!provider) throw new Error("Stripe is not configured in the test bindings");
  return provider;
};
const seconds = () => Math.floor(Date.now() / 1000);

async function plan(code: string): Promise<Plan> {
  const row = await db().query.plans.findFirst({ where: eq(plans.code, code) });
  if (!row) throw new Error(`no plan ${code}`);
  return row;
}

async function insertCoupon(fields: Partial<Coupon> = {}): Promise<Coupon> {
  const id = `cpn_t${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const coupon: Coupon = {
    id,
    code: `C${id.slice(5, 13).toUpperCase()}`,
    name: "Launch",
    percentOff: 20,
    amountOff: null,
    currency: null,
    duration: "repeating",
    durationMonths: 3,
    expiresAt: null,
    maxRedemptions: null,
    timesRedeemed: 0,
    planIds: null,
    active: true,
    createdAt: 1,
    updatedAt: 1,
    ...fields,
  };
  await env.DB.prepare(
    `insert into coupons (id, code, name, percent_off, amount_off, currency, duration, duration_months,
       times_redeemed, active, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, 0, 1, 1, 1)`,
  )
    .bind(
      coupon.id,
      coupon.code,
      coupon.name,
      coupon.percentOff,
      coupon.amountOff,
      coupon.currency,
      coupon.duration,
      coupon.durationMonths,
    )
    .run();
  return coupon;
}

/** What the checkout route records before sending the buyer to Stripe. */
async function insertIncomplete(
  user: TestUser,
  planId: string,
  couponId: string | null = null,
): Promise<string> {
  const id = `sub_t${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`;
  await env.DB.prepare(
    `insert into subscriptions (id, user_id, plan_id, interval, status, provider, coupon_id, created_at, updated_at)
     values (?, ?, ?, 'month', 'incomplete', 'stripe', ?, ?, ?)`,
  )
    .bind(id, user.id, planId, couponId, Date.now(), Date.now())
    .run();
  return id;
}

interface SubscriptionRow {
  id: string;
  user_id: string;
  plan_id: string;
  interval: string;
  status: string;
  standing: string;
  provider_subscription_id: string | null;
  provider_customer_id: string | null;
  cancel_at_period_end: number;
  current_period_start: number | null;
  current_period_end: number | null;
  trial_end: number | null;
  canceled_at: number | null;
  ended_at: number | null;
  past_due_since: number | null;
  provider_state_at: number;
  coupon_id: string | null;
}

async function subscriptionRow(id: string): Promise<SubscriptionRow> {
  const row = await env.DB.prepare("select * from subscriptions where id = ?")
    .bind(id)
    .first<SubscriptionRow>();
  if (!row) throw new Error(`no subscription ${id}`);
  return row;
}

async function subscriptionsOf(userId: string): Promise<SubscriptionRow[]> {
  const { results } = await env.DB.prepare(
    "select * from subscriptions where user_id = ? order by created_at",
  )
    .bind(userId)
    .all<SubscriptionRow>();
  return results;
}

interface PaymentRow {
  id: string;
  subscription_id: string | null;
  provider: string;
  provider_payment_id: string;
  provider_invoice_id: string | null;
  amount: number;
  amount_refunded: number;
  currency: string;
  status: string;
  period_start: number | null;
  period_end: number | null;
  receipt_url: string | null;
  failure_reason: string | null;
}

async function paymentsOf(userId: string): Promise<PaymentRow[]> {
  const { results } = await env.DB.prepare(
    "select * from payments where user_id = ? order by created_at, rowid",
  )
    .bind(userId)
    .all<PaymentRow>();
  return results;
}

async function outboxOf(userId: string) {
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
async function deliver(
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
async function drain() {
  const outcomes: string[] = [];
  for (const id of queued.splice(0)) {
    outcomes.push(
      await applyWebhookEvent({ db: db(), env, config: config(), now: Date.now() }, id),
    );
  }
  return outcomes;
}

/** Delivers one event and applies it; expects it stored and processed. */
async function send(event: Json): Promise<void> {
  const res = await deliver(event);
  expect(res.status, res.text).toBe(200);
  expect(res.body).toEqual({ received: true, duplicate: false });
  expect(await drain()).toEqual(["processed"]);
}

async function ping(user: TestUser) {
  const res = await api<{ standing: string; windows: { minute: { limit: number | null } } }>(
    "GET",
    "/v1/ping",
    { token: user.accessToken },
  );
  expect(res.status).toBe(200);
  return { limit: res.body.windows.minute.limit, standing: res.body.standing };
}

interface Subscribed {
  ourId: string;
  customerId: string;
  subscription: Json;
  stripeId: string;
}

/**
 * A user who bought `code` through Stripe: the local record the checkout route makes, the
 * provider's checkout, the buyer completing it, and the session + subscription events.
 */
async function subscribe(
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
  await send(stripeEvent("checkout.session.completed", done.session));
  await send(
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

function paidInvoice(s: Subscribed, amount: number, extra: { charge?: string | null } = {}) {
  return invoiceObject({
    customer: s.customerId,
    subscription: s.stripeId,
    subscriptionMetadata: s.subscription.metadata as Record<string, string>,
    amount,
    ...extra,
  });
}

/** A copy of a Stripe subscription with some fields changed. */
function changed(subscription: Json, fields: Json): Json {
  return { ...structuredClone(subscription), ...fields };
}

function localSubscription(fields: Partial<Subscription>): Subscription {
  return {
    id: "sub_local",
    userId: "usr_local",
    planId: "pln_pro",
    interval: "month",
    status: "active",
    standing: "good",
    provider: "stripe",
    providerSubscriptionId: null,
    providerCustomerId: null,
    cancelAtPeriodEnd: false,
    cancelReason: null,
    currentPeriodStart: null,
    currentPeriodEnd: null,
    trialEnd: null,
    canceledAt: null,
    endedAt: null,
    scheduledPlanId: null,
    scheduledInterval: null,
    providerScheduleId: null,
    billingAnchorDay: null,
    couponId: null,
    pastDueSince: null,
    providerStateAt: 0,
    createdAt: 0,
    updatedAt: 0,
    ...fields,
  };
}

async function expectApiError(promise: Promise<unknown>, code: string, status: number) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  expect((error as ApiError).code).toBe(code);
  expect((error as ApiError).status).toBe(status);
  return error as ApiError;
}

describe("Stripe provider, against the fake API", () => {
  it("is not configured without a secret key", () => {
    expect(createStripeProvider({ ...config(), STRIPE_SECRET_KEY: undefined })).toBeNull();
    expect(createStripeProvider(config())?.name).toBe("stripe");
  });

  it("checkout: one customer, a subscription-mode session with price, trial, metadata and coupon", async () => {
    const user = await signup("stripe-checkout");
    const pro = await plan("pro");
    const coupon = await insertCoupon();
    const first = await stripe().createCheckout({
      user: { id: user.id, email: user.email },
      plan: pro,
      interval: "month",
      coupon,
      successUrl: "https://app.test/ok",
      cancelUrl: "https://app.test/no",
      customerId: null,
      subscriptionId: "sub_checkout_1",
    });

    expect(fake.customers.size).toBe(1);
    const [customer] = [...fake.customers.values()];
    expect(customer).toMatchObject({ email: user.email, metadata: { user_id: user.id } });
    expect(first.customerId).toBe(customer?.id);
    expect(first.providerSubscriptionId).toBeUndefined();

    expect(fake.sessions.size).toBe(1);
    const [session] = [...fake.sessions.values()];
    expect(first.checkoutUrl).toBe(session?.url);
    expect(first.checkoutUrl).toMatch(/^https:\/\/checkout\.stripe\.fake\/c\/pay\/cs_/);
    const metadata = {
      user_id: user.id,
      plan_id: pro.id,
      interval: "month",
      tollgate_subscription_id: "sub_checkout_1",
      coupon_id: coupon.id,
    };
    expect(session).toMatchObject({
      mode: "subscription",
      customer: customer?.id,
      client_reference_id: user.id,
      success_url: "https://app.test/ok",
      cancel_url: "https://app.test/no",
      line_items: [{ price: "price_pro_m", quantity: 1 }],
      discounts: [{ coupon: `tg_${coupon.id}` }],
      metadata,
      subscription_data: { metadata, trial_period_days: 14 },
    });
    expect(fake.coupons.get(`tg_${coupon.id}`)).toMatchObject({
      duration: "repeating",
      duration_in_months: 3,
      percent_off: 20,
      amount_off: null,
      name: "Launch",
    });

    // The next checkout reuses the customer; the coupon exists already and is simply used.
    const second = await stripe().createCheckout({
      user: { id: user.id, email: user.email },
      plan: pro,
      interval: "year",
      coupon,
      successUrl: "https://app.test/ok",
      cancelUrl: "https://app.test/no",
      customerId: first.customerId ?? null,
      subscriptionId: "sub_checkout_2",
    });
    expect(second.customerId).toBeUndefined();
    expect(fake.customers.size).toBe(1);
    expect(fake.calls("POST", "/v1/coupons")).toHaveLength(2);
    expect(fake.coupons.size).toBe(1);
    const again = [...fake.sessions.values()].find((s) => s.url === second.checkoutUrl);
    expect(again).toMatchObject({
      customer: first.customerId,
      line_items: [{ price: "price_pro_y", quantity: 1 }],
      discounts: [{ coupon: `tg_${coupon.id}` }],
      metadata: { interval: "year", tollgate_subscription_id: "sub_checkout_2" },
    });
  });

  it("checkout: an amount-off coupon forever, and no trial on a plan without one", async () => {
    const user = await signup("stripe-amount");
    const coupon = await insertCoupon({
      percentOff: null,
      amountOff: 500,
      currency: "USD",
      duration: "forever",
      durationMonths: null,
    });
    const result = await stripe().createCheckout({
      user: { id: user.id, email: user.email },
      plan: await plan("enterprise"),
      interval: "month",
      coupon,
      successUrl: "https://app.test/ok",
      cancelUrl: "https://app.test/no",
      customerId: null,
      subscriptionId: "sub_checkout_3",
    });
    expect(fake.coupons.get(`tg_${coupon.id}`)).toMatchObject({
      duration: "forever",
      duration_in_months: null,
      amount_off: 500,
      currency: "usd",
      percent_off: null,
    });
    const session = [...fake.sessions.values()].find((s) => s.url === result.checkoutUrl);
    expect(session?.subscription_data).toEqual({
      metadata: {
        user_id: user.id,
        plan_id: "pln_enterprise",
        interval: "month",
        tollgate_subscription_id: "sub_checkout_3",
        coupon_id: coupon.id,
      },
    });
    expect(session?.line_items).toEqual([{ price: "price_ent_m", quantity: 1 }]);
  });

  it("checkout: a plan without a Stripe price is refused before any call", async () => {
    const user = await signup("stripe-noprice");
    await expectApiError(
      stripe().createCheckout({
        user: { id: user.id, email: user.email },
        plan: { ...(await plan("pro")), stripePriceYear: null },
        interval: "year",
        coupon: null,
        successUrl: "https://app.test/ok",
        cancelUrl: "https://app.test/no",
        customerId: null,
        subscriptionId: "sub_x",
      }),
      "plan_not_available",
      409,
    );
    expect(fake.requests).toHaveLength(0);
  });

  it("a Stripe error becomes a 502 provider_error", async () => {
    fake.failNext("POST", "/v1/checkout/sessions", 400, { code: "parameter_invalid" });
    const user = await signup("stripe-error");
    const error = await expectApiError(
      stripe().createCheckout({
        user: { id: user.id, email: user.email },
        plan: await plan("pro"),
        interval: "month",
        coupon: null,
        successUrl: "https://app.test/ok",
        cancelUrl: "https://app.test/no",
        customerId: null,
        subscriptionId: "sub_y",
      }),
      "provider_error",
      502,
    );
    expect(error.detail).toBe("Stripe refused the request (parameter_invalid)");
  });

  it("changePlan swaps the price on the item, prorating upgrades only", async () => {
    const s = fake.addSubscription({ customer: "cus_cp", price: "price_basic_m" });
    const local = localSubscription({ providerSubscriptionId: s.id as string });
    const itemId = (s.items as { data: Json[] }).data[0]?.id;

    expect(
      await stripe().changePlan(local, {
        plan: await plan("pro"),
        interval: "year",
        prorate: true,
      }),
    ).toEqual({});
    let update = fake.calls("POST", `/v1/subscriptions/${s.id}`).at(-1);
    expect(update?.params).toMatchObject({
      items: [{ id: itemId, price: "price_pro_y" }],
      proration_behavior: "always_invoice",
      metadata: { plan_id: "pln_pro", interval: "year" },
    });
    expect(fake.subscriptions.get(s.id as string)?.items).toMatchObject({
      data: [{ id: itemId, price: { id: "price_pro_y" } }],
    });

    await stripe().changePlan(local, {
      plan: await plan("basic"),
      interval: "month",
      prorate: false,
    });
    update = fake.calls("POST", `/v1/subscriptions/${s.id}`).at(-1);
    expect(update?.params.proration_behavior).toBe("none");
    expect(update?.params.items).toEqual([{ id: itemId, price: "price_basic_m" }]);
  });

  it("cancel at period end, resume, and cancel now", async () => {
    const s = fake.addSubscription({ customer: "cus_cancel", price: "price_pro_m" });
    const local = localSubscription({ providerSubscriptionId: s.id as string });

    await stripe().cancel(local, { atPeriodEnd: true, reason: "too expensive" });
    expect(fake.subscriptions.get(s.id as string)).toMatchObject({
      status: "active",
      cancel_at_period_end: true,
      cancellation_details: { comment: "too expensive" },
    });

    await stripe().resume(local);
    expect(fake.subscriptions.get(s.id as string)?.cancel_at_period_end).toBe(false);

    await stripe().cancel(local, { atPeriodEnd: false });
    expect(fake.calls("DELETE", `/v1/subscriptions/${s.id}`)).toHaveLength(1);
    expect(fake.subscriptions.get(s.id as string)?.status).toBe("canceled");

    await expectApiError(
      stripe().cancel(localSubscription({}), { atPeriodEnd: true }),
      "conflict",
      409,
    );
  });

  it("refunds the payment's charge, by the amount asked", async () => {
    fake.addCharge({ id: "ch_refund_1", amount: 2900 });
    const payment = {
      id: "pay_local",
      providerPaymentId: "ch_refund_1",
    } as Parameters<BillingProvider["refund"]>[0];

    const first = await stripe().refund(payment, 1000, "goodwill");
    const second = await stripe().refund(payment, 1900);
    const calls = fake.calls("POST", "/v1/refunds");
    expect(calls.map((c) => c.params)).toEqual([
      {
        charge: "ch_refund_1",
        amount: "1000",
        metadata: { tollgate_payment_id: "pay_local", reason: "goodwill" },
      },
      { charge: "ch_refund_1", amount: "1900", metadata: { tollgate_payment_id: "pay_local" } },
    ]);
    expect(fake.refunds.get(first.refundId)?.amount).toBe(1000);
    expect(fake.refunds.get(second.refundId)?.amount).toBe(1900);
    expect(fake.charges.get("ch_refund_1")?.amount_refunded).toBe(2900);

    // Nothing left to refund: Stripe refuses, the caller sees a 502.
    await expectApiError(stripe().refund(payment, 1), "provider_error", 502);

    // A payment recorded under its PaymentIntent is refunded through it.
    fake.addCharge({ id: "ch_refund_2", amount: 900, paymentIntent: "pi_refund_2" });
    await stripe().refund(
      { id: "pay_pi", providerPaymentId: "pi_refund_2" } as Parameters<
        BillingProvider["refund"]
      >[0],
      900,
    );
    expect(fake.calls("POST", "/v1/refunds").at(-1)?.params).toMatchObject({
      payment_intent: "pi_refund_2",
      amount: "900",
    });
    expect(fake.charges.get("ch_refund_2")?.amount_refunded).toBe(900);
  });

  it("fetchSubscription maps status, seconds to ms, item periods", async () => {
    const s = fake.addSubscription({
      customer: "cus_fetch",
      price: "price_pro_y",
      status: "unpaid",
      periodStart: 1_900_000_000,
      periodEnd: 1_931_536_000,
      trialEnd: 1_899_000_000,
      cancelAtPeriodEnd: true,
      canceledAt: 1_900_000_100,
    });
    const before = Date.now();
    const state = await stripe().fetchSubscription(s.id as string);
    expect(state).toEqual({
      providerSubscriptionId: s.id,
      status: "past_due",
      providerPriceId: "price_pro_y",
      currentPeriodStart: 1_900_000_000_000,
      currentPeriodEnd: 1_931_536_000_000,
      trialEnd: 1_899_000_000_000,
      cancelAtPeriodEnd: true,
      canceledAt: 1_900_000_100_000,
      stateAt: expect.any(Number),
    });
    expect(state.stateAt).toBeGreaterThanOrEqual(before);
    await expectApiError(stripe().fetchSubscription("sub_missing"), "provider_error", 502);
  });

  it("maps every Stripe status, and reads periods from older API versions too", () => {
    expect(
      [
        "trialing",
        "active",
        "past_due",
        "unpaid",
        "canceled",
        "incomplete",
        "incomplete_expired",
        "paused",
        "something_new",
      ].map(mapStripeStatus),
    ).toEqual([
      "trialing",
      "active",
      "past_due",
      "past_due",
      "canceled",
      "incomplete",
      "expired",
      "paused",
      "incomplete",
    ]);
    const legacy = subscriptionState(
      {
        id: "sub_legacy",
        status: "active",
        customer: "cus_legacy",
        items: { data: [{ id: "si_1", price: { id: "price_basic_m" } }] },
        current_period_start: 100,
        current_period_end: 200,
        cancel_at: 200,
        cancel_at_period_end: false,
      },
      5,
    );
    expect(legacy).toMatchObject({
      currentPeriodStart: 100_000,
      currentPeriodEnd: 200_000,
      providerPriceId: "price_basic_m",
      // Scheduled to end with the period through cancel_at.
      cancelAtPeriodEnd: true,
      trialEnd: null,
      stateAt: 5,
    });
  });

  it("opens a billing portal session for the customer", async () => {
    fake.customers.set("cus_portal", { id: "cus_portal", object: "customer" });
    const url = await createBillingPortalSession(
      config(),
      "cus_portal",
      "https://app.test/account",
    );
    const [session] = [...fake.portalSessions.values()];
    expect(url).toBe(session?.url);
    expect(session).toMatchObject({
      customer: "cus_portal",
      return_url: "https://app.test/account",
    });
    await expectApiError(
      createBillingPortalSession({ ...config(), STRIPE_SECRET_KEY: undefined }, "cus_portal", "x"),
      "provider_unavailable",
      503,
    );
  });
});

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
});

describe("Stripe webhooks: applying", () => {
  it("checkout through the API, then events: active, paid, and the paid plan's limits on the next request", async () => {
    const user = await signup("stripe-e2e");
    expect(await ping(user)).toEqual({ limit: 20, standing: "good" });

    const res = await api<{ provider: string; checkout_url: string; subscription_id: string }>(
      "POST",
      "/v1/subscription/checkout",
      {
        token: user.accessToken,
        body: {
          plan_id: "pln_enterprise",
          interval: "month",
          provider: "stripe",
          success_url: "https://app.test/billing/done",
          cancel_url: "https://app.test/billing",
        },
      },
    );
    expect(res.status, res.text).toBe(201);
    const [session] = [...fake.sessions.values()];
    expect(res.body).toEqual({
      provider: "stripe",
      checkout_url: session?.url,
      subscription_id: expect.stringMatching(/^sub_/),
    });
    const ourId = res.body.subscription_id;
    expect(session?.metadata).toMatchObject({ user_id: user.id, tollgate_subscription_id: ourId });
    expect((await subscriptionRow(ourId)).status).toBe("incomplete");
    // An incomplete checkout grants nothing yet.
    expect((await ping(user)).limit).toBe(20);

    const done = fake.completeCheckout(session?.id as string);
    expect(done.subscription.status).toBe("active");
    await send(stripeEvent("checkout.session.completed", done.session));
    expect(await subscriptionRow(ourId)).toMatchObject({
      provider_subscription_id: done.subscription.id,
      provider_customer_id: session?.customer,
      status: "incomplete",
    });
    expect(
      await count(
        "select count(*) as n from billing_customers where user_id = ? and provider = 'stripe' and customer_id = ?",
        user.id,
        session?.customer,
      ),
    ).toBe(1);

    const created = seconds();
    await send(stripeEvent("customer.subscription.created", done.subscription, { created }));
    const invoice = invoiceObject({
      customer: session?.customer as string,
      subscription: done.subscription.id as string,
      subscriptionMetadata: done.subscription.metadata as Record<string, string>,
      amount: 19900,
      charge: "ch_e2e",
    });
    await send(stripeEvent("invoice.paid", invoice));

    const items = (done.subscription.items as { data: Json[] }).data[0] as Json;
    expect(await subscriptionRow(ourId)).toMatchObject({
      status: "active",
      standing: "good",
      plan_id: "pln_enterprise",
      interval: "month",
      current_period_start: (items.current_period_start as number) * 1000,
      current_period_end: (items.current_period_end as number) * 1000,
      provider_state_at: created * 1000,
    });
    expect(await subscriptionsOf(user.id)).toHaveLength(1);
    const [payment] = await paymentsOf(user.id);
    expect(payment).toMatchObject({
      subscription_id: ourId,
      provider: "stripe",
      provider_payment_id: "ch_e2e",
      provider_invoice_id: invoice.id,
      amount: 19900,
      amount_refunded: 0,
      currency: "usd",
      status: "succeeded",
      receipt_url: `https://invoice.stripe.fake/i/${invoice.id}`,
      failure_reason: null,
    });
    expect(await ping(user)).toEqual({ limit: 1000, standing: "good" });
  });

  it("a subscription from checkout: pending record bound, trialing, then paid with limits raised", async () => {
    const user = await signup("stripe-flow");
    const s = await subscribe(user, "pro");
    // Pro has a 14-day trial.
    expect(s.subscription.status).toBe("trialing");
    const row = await subscriptionRow(s.ourId);
    expect(row).toMatchObject({
      status: "trialing",
      standing: "good",
      plan_id: "pln_pro",
      provider_subscription_id: s.stripeId,
      provider_customer_id: s.customerId,
      trial_end: (s.subscription.trial_end as number) * 1000,
    });
    expect(await subscriptionsOf(user.id)).toHaveLength(1);
    expect(await ping(user)).toEqual({ limit: 200, standing: "good" });

    // The trial's $0 invoice moves no money and records nothing.
    await send(stripeEvent("invoice.paid", paidInvoice(s, 0)));
    expect(await paymentsOf(user.id)).toEqual([]);

    const active = changed(s.subscription, { status: "active", trial_end: null });
    await send(stripeEvent("customer.subscription.updated", active));
    await send(stripeEvent("invoice.paid", paidInvoice(s, 2900, { charge: "ch_flow" })));
    expect(await subscriptionRow(s.ourId)).toMatchObject({ status: "active", trial_end: null });
    expect(
      (await paymentsOf(user.id)).map((p) => [p.provider_payment_id, p.amount, p.status]),
    ).toEqual([["ch_flow", 2900, "succeeded"]]);
    expect(await ping(user)).toEqual({ limit: 200, standing: "good" });
  });

  it("a subscription first seen in an event is recorded from its metadata", async () => {
    const user = await signup("stripe-new");
    const subscription = subscriptionObject({
      customer: "cus_new_1",
      price: "price_basic_y",
      status: "active",
      metadata: { user_id: user.id },
    });
    await send(stripeEvent("customer.subscription.created", subscription));
    const [row] = await subscriptionsOf(user.id);
    expect(row).toMatchObject({
      plan_id: "pln_basic",
      interval: "year",
      status: "active",
      provider_subscription_id: subscription.id,
      provider_customer_id: "cus_new_1",
    });
    expect(await ping(user)).toEqual({ limit: 60, standing: "good" });

    // Later events about it find that record.
    await send(
      stripeEvent(
        "customer.subscription.updated",
        changed(subscription, { cancel_at_period_end: true }),
      ),
    );
    expect(await subscriptionsOf(user.id)).toHaveLength(1);
    expect((await subscriptionRow(row?.id as string)).cancel_at_period_end).toBe(1);

    // Nobody to attribute it to, or a price no plan has: nothing is recorded.
    const orphan = subscriptionObject({ customer: "cus_unknown", price: "price_basic_m" });
    await send(stripeEvent("customer.subscription.created", orphan));
    const unknownPrice = subscriptionObject({
      customer: "cus_new_1",
      price: "price_nobody",
      metadata: { user_id: user.id },
    });
    await send(stripeEvent("customer.subscription.created", unknownPrice));
    expect(
      await count(
        "select count(*) as n from subscriptions where provider_subscription_id in (?, ?)",
        orphan.id,
        unknownPrice.id,
      ),
    ).toBe(0);
  });

  it("checkout.session.completed after the subscription's own event binds nothing twice", async () => {
    const user = await signup("stripe-late-session");
    const pending = await insertIncomplete(user, "pln_pro");
    // The subscription reached us first without our id (say, made in the dashboard).
    const subscription = subscriptionObject({
      customer: "cus_late",
      price: "price_pro_m",
      metadata: { user_id: user.id },
    });
    await send(stripeEvent("customer.subscription.created", subscription));
    await send(
      stripeEvent("checkout.session.completed", {
        id: "cs_late",
        object: "checkout.session",
        mode: "subscription",
        customer: "cus_late",
        subscription: subscription.id,
        client_reference_id: user.id,
        metadata: { user_id: user.id, tollgate_subscription_id: pending },
      }),
    );
    const rows = await subscriptionsOf(user.id);
    expect(rows.map((r) => [r.id === pending, r.status, r.provider_subscription_id])).toEqual([
      [true, "incomplete", null],
      [false, "active", subscription.id],
    ]);
    expect(
      await count(
        "select count(*) as n from billing_customers where user_id = ? and customer_id = 'cus_late'",
        user.id,
      ),
    ).toBe(1);
  });

  it("the same event delivered five times makes one payment", async () => {
    const user = await signup("stripe-dupes");
    const s = await subscribe(user, "enterprise");
    const event = stripeEvent("invoice.paid", paidInvoice(s, 19900, { charge: "ch_dupe" }));
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push((await deliver(event)).body);
    expect(answers).toEqual([
      { received: true, duplicate: false },
      ...Array.from({ length: 4 }, () => ({ received: true, duplicate: true })),
    ]);
    expect(queued).toHaveLength(1);
    const eventId = queued[0] as string;
    expect(await drain()).toEqual(["processed"]);
    // A redelivered queue message for it changes nothing.
    expect(
      await applyWebhookEvent({ db: db(), env, config: config(), now: Date.now() }, eventId),
    ).toBe("skipped");
    expect(await count("select count(*) as n from payments where user_id = ?", user.id)).toBe(1);
    expect(
      await count("select count(*) as n from webhook_events where provider_event_id = ?", event.id),
    ).toBe(1);

    // Another event about the same charge (invoice.payment_succeeded's twin) adds no row either.
    await send(stripeEvent("invoice.paid", paidInvoice(s, 19900, { charge: "ch_dupe" })));
    expect(await count("select count(*) as n from payments where user_id = ?", user.id)).toBe(1);
  });

  it("an older subscription event arriving late never overwrites newer state", async () => {
    const user = await signup("stripe-order");
    const t = seconds();
    const s = await subscribe(user, "enterprise", { created: t });
    const newer = changed(s.subscription, { cancel_at_period_end: true });
    const older = changed(s.subscription, { status: "past_due" });
    await send(stripeEvent("customer.subscription.updated", newer, { created: t + 200 }));
    await send(stripeEvent("customer.subscription.updated", older, { created: t + 100 }));
    expect(await subscriptionRow(s.ourId)).toMatchObject({
      status: "active",
      standing: "good",
      cancel_at_period_end: 1,
      provider_state_at: (t + 200) * 1000,
    });
    expect(await ping(user)).toEqual({ limit: 1000, standing: "good" });

    // A newer one applies.
    await send(stripeEvent("customer.subscription.updated", older, { created: t + 300 }));
    expect(await subscriptionRow(s.ourId)).toMatchObject({
      status: "past_due",
      standing: "past_due",
      cancel_at_period_end: 0,
      provider_state_at: (t + 300) * 1000,
    });
  });

  it("customer.subscription.deleted ends the subscription and the paid limits", async () => {
    const user = await signup("stripe-deleted");
    const t = seconds();
    const s = await subscribe(user, "enterprise", { created: t });
    expect((await ping(user)).limit).toBe(1000);
    const ended = changed(s.subscription, { status: "canceled", canceled_at: t + 50 });
    await send(stripeEvent("customer.subscription.deleted", ended, { created: t + 60 }));
    const row = await subscriptionRow(s.ourId);
    expect(row).toMatchObject({ status: "canceled", canceled_at: (t + 50) * 1000 });
    expect(row.ended_at).toEqual(expect.any(Number));
    expect(await ping(user)).toEqual({ limit: 20, standing: "good" });

    // A late "updated" from before the deletion does not bring it back.
    await send(stripeEvent("customer.subscription.updated", s.subscription, { created: t + 30 }));
    expect((await subscriptionRow(s.ourId)).status).toBe("canceled");
  });

  it("a deleted subscription is canceled whatever status it reports; an expired checkout is expired", async () => {
    const user = await signup("stripe-deleted2");
    const unpaid = subscriptionObject({
      customer: "cus_del2",
      price: "price_pro_m",
      status: "unpaid",
      metadata: { user_id: user.id },
    });
    await send(stripeEvent("customer.subscription.deleted", unpaid));
    const never = subscriptionObject({
      customer: "cus_del2",
      price: "price_pro_m",
      status: "incomplete_expired",
      metadata: { user_id: user.id },
    });
    await send(stripeEvent("customer.subscription.deleted", never));
    const rows = await subscriptionsOf(user.id);
    expect(
      Object.fromEntries(rows.map((r) => [r.provider_subscription_id, [r.status, r.standing]])),
    ).toEqual({
      [unpaid.id as string]: ["canceled", "good"],
      [never.id as string]: ["expired", "good"],
    });
    // A "created" arriving after the deletion does not revive it.
    await send(
      stripeEvent("customer.subscription.created", changed(unpaid, { status: "active" }), {
        created: seconds() - 60,
      }),
    );
    expect((await subscriptionsOf(user.id)).map((r) => r.status).sort()).toEqual([
      "canceled",
      "expired",
    ]);
    expect(await ping(user)).toEqual({ limit: 20, standing: "good" });
  });

  it("trial_will_end queues a trial_ending email", async () => {
    const user = await signup("stripe-trial");
    const s = await subscribe(user, "pro");
    const trialEnd = s.subscription.trial_end as number;
    await send(stripeEvent("customer.subscription.trial_will_end", s.subscription));
    const emails = await outboxOf(user.id);
    expect(emails).toHaveLength(1);
    const date = new Date(trialEnd * 1000).toISOString().slice(0, 10);
    expect(emails[0]).toMatchObject({
      template: "trial_ending",
      to_address: user.email,
      subject: "Your trial ends in 3 days",
      text_body: `Your Pro trial ends on ${date}. Your subscription then continues and your payment method is charged; cancel before then if you do not want it.\n`,
    });
    // Queued after the commit (the signup's verification email came before).
    expect(emailBatches.at(-1)).toEqual([emails[0]?.id]);
  });

  it("a failed payment makes it past_due with an email; the next paid invoice restores it", async () => {
    const user = await signup("stripe-dunning");
    const s = await subscribe(user, "pro", { status: "active" });
    await send(stripeEvent("invoice.paid", paidInvoice(s, 2900, { charge: "ch_first" })));

    const failed: Json = {
      ...invoiceObject({
        customer: s.customerId,
        subscription: s.stripeId,
        amount: 2900,
        paid: false,
        charge: "ch_declined",
        attempt: 1,
      }),
      last_finalization_error: { message: "Your card was declined." },
    };
    await send(stripeEvent("invoice.payment_failed", failed));
    const row = await subscriptionRow(s.ourId);
    expect(row).toMatchObject({ status: "past_due", standing: "past_due" });
    expect(row.past_due_since).toEqual(expect.any(Number));
    expect(
      (await paymentsOf(user.id)).map((p) => [
        p.provider_payment_id,
        p.status,
        p.amount,
        p.failure_reason,
      ]),
    ).toEqual([
      ["ch_first", "succeeded", 2900, null],
      ["ch_declined", "failed", 2900, "Your card was declined."],
    ]);
    const emails = await outboxOf(user.id);
    expect(emails.map((e) => [e.template, e.subject])).toEqual([
      ["payment_failed", "Your payment failed"],
    ]);
    expect(emails[0]?.text_body).toBe(
      "We could not charge $29.00 for your Pro subscription. Please update your payment method: access is limited if the balance stays unpaid.\n",
    );
    // Queued after the commit (the signup's verification email came before).
    expect(emailBatches.at(-1)).toEqual([emails[0]?.id]);
    expect(await ping(user)).toEqual({ limit: 200, standing: "past_due" });

    // The retry succeeds.
    await send(
      stripeEvent(
        "invoice.paid",
        invoiceObject({
          id: failed.id as string,
          customer: s.customerId,
          subscription: s.stripeId,
          amount: 2900,
          charge: "ch_retry",
        }),
      ),
    );
    expect(await subscriptionRow(s.ourId)).toMatchObject({
      status: "active",
      standing: "good",
      past_due_since: null,
    });
    expect((await paymentsOf(user.id)).map((p) => p.status)).toEqual([
      "succeeded",
      "failed",
      "succeeded",
    ]);
    expect(await ping(user)).toEqual({ limit: 200, standing: "good" });
  });

  it("failed attempts without a charge id are told apart and never block the later success", async () => {
    const user = await signup("stripe-nocharge");
    const s = await subscribe(user, "basic", { status: "active" });
    const invoice = (attempt: number, paid: boolean) =>
      invoiceObject({
        id: "in_nocharge",
        customer: s.customerId,
        subscription: s.stripeId,
        amount: 900,
        paid,
        charge: null,
        attempt,
      });
    await send(stripeEvent("invoice.payment_failed", invoice(1, false)));
    await send(stripeEvent("invoice.payment_failed", invoice(2, false)));
    await send(stripeEvent("invoice.paid", invoice(3, true)));
    expect((await paymentsOf(user.id)).map((p) => [p.provider_payment_id, p.status])).toEqual([
      ["in_nocharge:attempt_1", "failed"],
      ["in_nocharge:attempt_2", "failed"],
      ["in_nocharge", "succeeded"],
    ]);
    expect((await subscriptionRow(s.ourId)).status).toBe("active");
  });

  it("charge.refunded marks a payment partially refunded, then refunded", async () => {
    const user = await signup("stripe-refund");
    const s = await subscribe(user, "pro", { status: "active" });
    await send(stripeEvent("invoice.paid", paidInvoice(s, 2900, { charge: "ch_refunded" })));

    const partial = stripeEvent(
      "charge.refunded",
      chargeObject({ id: "ch_refunded", amount: 2900, amountRefunded: 1000 }),
    );
    await send(partial);
    expect(await paymentsOf(user.id)).toMatchObject([
      { provider_payment_id: "ch_refunded", status: "partially_refunded", amount_refunded: 1000 },
    ]);

    await send(
      stripeEvent(
        "charge.refunded",
        chargeObject({ id: "ch_refunded", amount: 2900, amountRefunded: 2900 }),
      ),
    );
    expect(await paymentsOf(user.id)).toMatchObject([
      { status: "refunded", amount_refunded: 2900 },
    ]);

    // An earlier refund event arriving late does not lower the refunded total.
    await send(
      stripeEvent(
        "charge.refunded",
        chargeObject({ id: "ch_refunded", amount: 2900, amountRefunded: 1000 }),
      ),
    );
    expect(await paymentsOf(user.id)).toMatchObject([
      { status: "refunded", amount_refunded: 2900 },
    ]);
    // Refunds do not end the subscription.
    expect((await subscriptionRow(s.ourId)).status).toBe("active");
  });

  it("an invoice paid through a PaymentIntent is recorded under it and its charge's refund finds it", async () => {
    const user = await signup("stripe-pi");
    const s = await subscribe(user, "pro", { status: "active" });
    const invoice = paidInvoice(s, 2900, { charge: null });
    invoice.payments = {
      object: "list",
      data: [
        {
          object: "invoice_payment",
          payment: { type: "payment_intent", payment_intent: "pi_paid" },
        },
      ],
    };
    await send(stripeEvent("invoice.paid", invoice));
    await send(
      stripeEvent(
        "charge.refunded",
        chargeObject({
          id: "ch_of_pi",
          amount: 2900,
          amountRefunded: 500,
          paymentIntent: "pi_paid",
        }),
      ),
    );
    expect(await paymentsOf(user.id)).toMatchObject([
      { provider_payment_id: "pi_paid", status: "partially_refunded", amount_refunded: 500 },
    ]);

    // A refund of a charge never recorded changes nothing.
    await send(
      stripeEvent(
        "charge.refunded",
        chargeObject({ id: "ch_stranger", amount: 100, amountRefunded: 100 }),
      ),
    );
    expect(
      await count("select count(*) as n from payments where provider_payment_id = 'ch_stranger'"),
    ).toBe(0);
  });

  it("a coupon is redeemed once when its subscription starts", async () => {
    const user = await signup("stripe-coupon");
    const coupon = await insertCoupon();
    const s = await subscribe(user, "pro", { coupon });
    const redemptions = () =>
      env.DB.prepare(
        "select coupon_id, user_id, subscription_id from coupon_redemptions where coupon_id = ?",
      )
        .bind(coupon.id)
        .all();
    expect((await redemptions()).results).toEqual([
      { coupon_id: coupon.id, user_id: user.id, subscription_id: s.ourId },
    ]);
    expect(await count("select times_redeemed as n from coupons where id = ?", coupon.id)).toBe(1);

    // More events for it redeem nothing more.
    await send(
      stripeEvent("customer.subscription.updated", changed(s.subscription, { status: "active" })),
    );
    expect((await redemptions()).results).toHaveLength(1);
    expect(await count("select times_redeemed as n from coupons where id = ?", coupon.id)).toBe(1);

    // A second user's redemption counts.
    const other = await signup("stripe-coupon2");
    await subscribe(other, "pro", { coupon });
    expect(await count("select times_redeemed as n from coupons where id = ?", coupon.id)).toBe(2);
  });

  it("an incomplete subscription redeems no coupon", async () => {
    const user = await signup("stripe-coupon-inc");
    const coupon = await insertCoupon();
    await subscribe(user, "enterprise", { coupon, status: "incomplete" });
    expect(
      await count("select count(*) as n from coupon_redemptions where coupon_id = ?", coupon.id),
    ).toBe(0);
    expect(await count("select times_redeemed as n from coupons where id = ?", coupon.id)).toBe(0);
  });

  it("an invoice arriving before its subscription's event fetches the subscription first", async () => {
    const user = await signup("stripe-early-invoice");
    const ourId = await insertIncomplete(user, "pln_pro");
    const t = seconds();
    const subscription = fake.addSubscription({
      customer: "cus_early",
      price: "price_pro_m",
      status: "active",
      metadata: { user_id: user.id, tollgate_subscription_id: ourId },
      created: t - 5,
    });
    await send(
      stripeEvent(
        "invoice.paid",
        invoiceObject({
          customer: "cus_early",
          subscription: subscription.id as string,
          amount: 2900,
          charge: "ch_early",
        }),
      ),
    );
    expect(fake.calls("GET", `/v1/subscriptions/${subscription.id}`)).toHaveLength(1);
    const row = await subscriptionRow(ourId);
    expect(row).toMatchObject({
      status: "active",
      provider_subscription_id: subscription.id,
      provider_customer_id: "cus_early",
    });
    expect(await paymentsOf(user.id)).toMatchObject([
      { subscription_id: ourId, provider_payment_id: "ch_early", status: "succeeded" },
    ]);
    expect(await ping(user)).toEqual({ limit: 200, standing: "good" });

    // The created event, older than the fetched state, changes nothing.
    await send(
      stripeEvent(
        "customer.subscription.created",
        changed(subscription, { status: "incomplete" }),
        {
          created: t - 5,
        },
      ),
    );
    expect((await subscriptionRow(ourId)).status).toBe("active");
    expect(await subscriptionsOf(user.id)).toHaveLength(1);
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

  it("formats amounts in their currency's minor units", () => {
    expect(formatMoney(2900, "usd")).toBe("$29.00");
    expect(formatMoney(500, "JPY")).toBe("¥500");
    expect(formatMoney(1999, "eur")).toBe("€19.99");
  });
});
