import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { openDb } from "../src/db";
import type { Payment, Subscription } from "../src/db/schema";
import { loadConfig } from "../src/env";
import worker from "../src/index";
import { ApiError } from "../src/lib/errors";
import { DAY } from "../src/lib/time";
import { createPayPalProvider } from "../src/payments/paypal";
import { clearPayPalTokenCache } from "../src/payments/paypal-client";
import { fromPayPalValue, toPayPalValue } from "../src/payments/paypal-money";
import { couponBillingCycles } from "../src/payments/paypal-plans";
import type { BillingProvider } from "../src/payments/provider";
import { applyWebhookEvent } from "../src/webhooks/consumer";
import { FakePayPal, type PayPalEvent } from "./fakes/paypal";
import { api, appEnv, count, signup, signupAdmin, type TestUser } from "./helpers";

const db = openDb(env.DB);
const config = () => loadConfig(env);
const WEBHOOK_QUEUE = "tollgate-webhook-events";
const iso = (ms: number) => new Date(ms).toISOString();

let paypal: FakePayPal;
/** Event ids the receiver sent to the webhook queue (kept from the real queue). */
let queued: string[];
/** Outbox ids handed to the emails queue. */
let mailed: string[];

beforeEach(async () => {
  clearPayPalTokenCache();
  paypal = new FakePayPal().install();
  queued = [];
  mailed = [];
  // Nothing reaches the real queues (their consumers would run in the background): the tests
  // read what was sent and apply it themselves.
  vi.spyOn(appEnv.WEBHOOK_EVENTS, "send").mockImplementation(async (body: unknown) => {
    queued.push((body as { event_id: string }).event_id);
    return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } };
  });
  vi.spyOn(appEnv.EMAILS, "sendBatch").mockImplementation(async (messages) => {
    for (const m of messages) mailed.push(m.body.outbox_id);
    return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } };
  });
  await env.DB.batch([
    env.DB.prepare(
      "update plans set paypal_plan_month = 'P-PRO-MONTH', paypal_plan_year = 'P-PRO-YEAR' where id = 'pln_pro'",
    ),
    env.DB.prepare(
      "update plans set paypal_plan_month = 'P-BASIC-MONTH', paypal_plan_year = 'P-BASIC-YEAR' where id = 'pln_basic'",
    ),
  ]);
});

afterEach(() => {
  vi.restoreAllMocks();
});

// ---- helpers ---------------------------------------------------------------------------------

function signatureHeaders(transmissionId: string, time: string): Record<string, string> {
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
function deliver(event: PayPalEvent, transmissionId: string = crypto.randomUUID()) {
  return api<{ received: boolean; duplicate: boolean; code?: string }>(
    "POST",
    "/v1/webhooks/paypal",
    {
      rawBody: JSON.stringify(event),
      headers: signatureHeaders(transmissionId, event.create_time),
    },
  );
}

async function storedEventId(providerEventId: string): Promise<string> {
  const row = await env.DB.prepare(
    "select id from webhook_events where provider = 'paypal' and provider_event_id = ?",
  )
    .bind(providerEventId)
    .first<{ id: string }>();
  if (!row) throw new Error(`event ${providerEventId} was not stored`);
  return row.id;
}

/** Delivers (verified by the fake) and applies the event as the queue consumer would. */
async function receive(event: PayPalEvent) {
  const res = await deliver(event);
  expect(res.status).toBe(200);
  return applyWebhookEvent(
    { db, env, config: config(), now: Date.now() },
    await storedEventId(event.id),
  );
}

/** Runs the Worker's queue handler on these stored events (one message each). */
async function runWebhookQueue(eventIds: string[]) {
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

async function subscriptionRow(id: string) {
  const row = await db.query.subscriptions.findFirst({
    where: (s, { eq }) => eq(s.id, id),
  });
  if (!row) throw new Error(`no subscription ${id}`);
  return row as Subscription;
}

async function paymentRow(providerPaymentId: string) {
  return (await db.query.payments.findFirst({
    where: (p, { and, eq }) =>
      and(eq(p.provider, "paypal"), eq(p.providerPaymentId, providerPaymentId)),
  })) as Payment | undefined;
}

async function minuteLimit(user: TestUser): Promise<number | null> {
  const res = await api<{ windows: { minute: { limit: number | null } } }>("GET", "/v1/ping", {
    token: user.accessToken,
  });
  expect(res.status).toBe(200);
  return res.body.windows.minute.limit;
}

interface Checkout {
  user: TestUser;
  subscriptionId: string;
  paypalId: string;
  checkoutUrl: string;
}

/** POST /v1/subscription/checkout through the Worker, as a client would. */
async function checkout(
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
  const row = await subscriptionRow(res.body.subscription_id);
  if (!row.providerSubscriptionId) throw new Error("checkout stored no PayPal subscription id");
  return {
    user,
    subscriptionId: res.body.subscription_id,
    paypalId: row.providerSubscriptionId,
    checkoutUrl: res.body.checkout_url,
  };
}

/** Checkout, then the buyer approves and PayPal sends ACTIVATED: the subscription is active. */
async function activeSubscription(t0: number, options: Parameters<typeof checkout>[0] = {}) {
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

async function insertCoupon(fields: {
  code: string;
  percentOff?: number;
  amountOff?: number;
  duration: "once" | "repeating" | "forever";
  durationMonths?: number;
}): Promise<string> {
  const id = `cpn_${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`;
  await env.DB.prepare(
    "insert into coupons (id, code, percent_off, amount_off, currency, duration, duration_months, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
  )
    .bind(
      id,
      fields.code,
      fields.percentOff ?? null,
      fields.amountOff ?? null,
      fields.amountOff === undefined ? null : "usd",
      fields.duration,
      fields.durationMonths ?? null,
      Date.now(),
      Date.now(),
    )
    .run();
  return id;
}

function sentSubscriptionBody(paypalId: string): unknown {
  const create = paypal.callsTo("POST", "/v1/billing/subscriptions");
  const sub = paypal.subscription(paypalId);
  return create.find((c) => (c.body as { custom_id?: string }).custom_id === sub.custom_id)?.body;
}

// ---- money -----------------------------------------------------------------------------------

describe("PayPal amounts (minor units <-> decimal strings)", () => {
  it("formats integer minor units exactly", () => {
    expect(toPayPalValue(2900, "usd")).toBe("29.00");
    expect(toPayPalValue(5, "USD")).toBe("0.05");
    expect(toPayPalValue(0, "usd")).toBe("0.00");
    expect(toPayPalValue(199000, "eur")).toBe("1990.00");
    expect(toPayPalValue(500, "jpy")).toBe("500");
    expect(toPayPalValue(1234, "kwd")).toBe("1.234");
    expect(toPayPalValue(-1050, "usd")).toBe("-10.50");
    expect(toPayPalValue(9007199254740991, "usd")).toBe("90071992547409.91");
    expect(() => toPayPalValue(10.5, "usd")).toThrow();
  });

  it("parses PayPal's decimals exactly, refusing fractions of a minor unit", () => {
    expect(fromPayPalValue("29.00", "USD")).toBe(2900);
    expect(fromPayPalValue("0.1", "USD")).toBe(10);
    expect(fromPayPalValue(".5", "USD")).toBe(50);
    expect(fromPayPalValue("14.55", "CAD")).toBe(1455);
    expect(fromPayPalValue("822.0100", "CZK")).toBe(82201);
    expect(fromPayPalValue("-10.50", "USD")).toBe(-1050);
    expect(fromPayPalValue("500", "JPY")).toBe(500);
    expect(fromPayPalValue("1.234", "KWD")).toBe(1234);
    // 0.1 + 0.2 style float errors cannot happen: 1.15 is 115, not 114.99999999999999.
    expect(fromPayPalValue("1.15", "USD")).toBe(115);
    expect(() => fromPayPalValue("822.0160", "CZK")).toThrow(/minor units/);
    expect(() => fromPayPalValue("12,00", "USD")).toThrow();
    expect(() => fromPayPalValue("", "USD")).toThrow();
    expect(() => fromPayPalValue("1e3", "USD")).toThrow();
  });
});

// ---- checkout --------------------------------------------------------------------------------

describe("PayPal checkout", () => {
  it("creates the PayPal subscription and a local incomplete one; the approve link is the checkout URL", async () => {
    const user = await signup("paypal");
    const res = await api<{ provider: string; checkout_url: string; subscription_id: string }>(
      "POST",
      "/v1/subscription/checkout",
      {
        token: user.accessToken,
        body: {
          plan_id: "pln_pro",
          interval: "month",
          provider: "paypal",
          success_url: "https://app.test/billing/done",
          cancel_url: "https://app.test/billing/cancel",
        },
      },
    );
    expect(res.status).toBe(201);
    const [created] = paypal.callsTo("POST", "/v1/billing/subscriptions");
    expect(paypal.subscriptions.size).toBe(1);
    const [sub] = [...paypal.subscriptions.values()];
    if (!created || !sub) throw new Error("no PayPal subscription was created");
    const approve = sub.links.find((l) => l.rel === "approve")?.href;
    expect(res.body).toStrictEqual({
      provider: "paypal",
      checkout_url: approve,
      subscription_id: res.body.subscription_id,
    });
    expect(res.body.subscription_id).toMatch(/^sub_/);
    expect(created.body).toStrictEqual({
      plan_id: "P-PRO-MONTH",
      custom_id: res.body.subscription_id,
      subscriber: { email_address: user.email },
      application_context: {
        return_url: "https://app.test/billing/done",
        cancel_url: "https://app.test/billing/cancel",
        user_action: "SUBSCRIBE_NOW",
        shipping_preference: "NO_SHIPPING",
      },
    });
    // Idempotent on our id, authenticated with a client-credentials token.
    expect(created.headers["paypal-request-id"]).toBe(res.body.subscription_id);
    expect(created.headers.authorization).toMatch(/^Bearer A21AA-fake-1-/);
    const [token] = paypal.callsTo("POST", "/v1/oauth2/token");
    expect(token?.headers.authorization).toBe(`Basic ${btoa("paypal-client:paypal-secret")}`);
    expect(token?.body).toStrictEqual({ grant_type: "client_credentials" });

    const row = await subscriptionRow(res.body.subscription_id);
    expect(row).toMatchObject({
      userId: user.id,
      planId: "pln_pro",
      interval: "month",
      status: "incomplete",
      provider: "paypal",
      providerSubscriptionId: sub.id,
      cancelAtPeriodEnd: false,
    });
    // An incomplete checkout grants nothing yet.
    expect(await minuteLimit(user)).toBe(20);
  });

  it("a yearly checkout uses the plan's yearly PayPal plan", async () => {
    const bought = await checkout({ interval: "year" });
    expect(paypal.subscription(bought.paypalId).plan_id).toBe("P-PRO-YEAR");
    expect((await subscriptionRow(bought.subscriptionId)).interval).toBe("year");
  });

  it("a plan without a PayPal plan id cannot be bought through PayPal (and PayPal is not called)", async () => {
    const user = await signup("paypal");
    const res = await api("POST", "/v1/subscription/checkout", {
      token: user.accessToken,
      body: {
        plan_id: "pln_enterprise",
        interval: "month",
        provider: "paypal",
        success_url: "https://app.test/done",
        cancel_url: "https://app.test/cancel",
      },
    });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe("plan_not_available");
    expect(paypal.callsTo("POST", "/v1/billing/subscriptions")).toHaveLength(0);
  });

  it("a PayPal failure is a 502 provider_error naming PayPal's debug_id, never the credentials; nothing is stored", async () => {
    const user = await signup("paypal");
    paypal.failNext(
      "POST",
      "/v1/billing/subscriptions",
      () =>
        new Response(
          JSON.stringify({ name: "INTERNAL_SERVER_ERROR", message: "x", debug_id: "f00dfeed1234" }),
          { status: 500, headers: { "content-type": "application/json" } },
        ),
    );
    const res = await api("POST", "/v1/subscription/checkout", {
      token: user.accessToken,
      body: {
        plan_id: "pln_pro",
        interval: "month",
        provider: "paypal",
        success_url: "https://app.test/done",
        cancel_url: "https://app.test/cancel",
      },
    });
    expect(res.status).toBe(502);
    expect(res.body.code).toBe("provider_error");
    expect(res.body.detail).toBe(
      "PayPal create subscription failed with HTTP 500 INTERNAL_SERVER_ERROR debug_id f00dfeed1234",
    );
    expect(res.text).not.toContain("paypal-secret");
    expect(res.text).not.toContain("A21AA");
    expect(await count("select count(*) as n from subscriptions where user_id = ?", user.id)).toBe(
      0,
    );
  });
});

describe("PayPal coupons: the plan override carries the discount, exactly", () => {
  it("once: one TRIAL cycle at the discounted price, then the regular price", async () => {
    await insertCoupon({ code: "PPONCE25", percentOff: 25, duration: "once" });
    const bought = await checkout({ coupon: "PPONCE25" });
    expect(sentSubscriptionBody(bought.paypalId)).toMatchObject({
      plan_id: "P-PRO-MONTH",
      plan: {
        billing_cycles: [
          {
            sequence: 1,
            tenure_type: "TRIAL",
            frequency: { interval_unit: "MONTH", interval_count: 1 },
            total_cycles: 1,
            pricing_scheme: { fixed_price: { currency_code: "USD", value: "21.75" } },
          },
          {
            sequence: 2,
            tenure_type: "REGULAR",
            frequency: { interval_unit: "MONTH", interval_count: 1 },
            total_cycles: 0,
            pricing_scheme: { fixed_price: { currency_code: "USD", value: "29.00" } },
          },
        ],
      },
    });
    expect((await subscriptionRow(bought.subscriptionId)).couponId).not.toBeNull();
  });

  it("repeating 3 months, amount off: three TRIAL cycles at the discounted price", async () => {
    await insertCoupon({
      code: "PPREP3",
      amountOff: 1001,
      duration: "repeating",
      durationMonths: 3,
    });
    const bought = await checkout({ coupon: "PPREP3" });
    const body = sentSubscriptionBody(bought.paypalId) as { plan: { billing_cycles: unknown[] } };
    expect(body.plan.billing_cycles).toStrictEqual([
      {
        sequence: 1,
        tenure_type: "TRIAL",
        frequency: { interval_unit: "MONTH", interval_count: 1 },
        total_cycles: 3,
        pricing_scheme: { fixed_price: { currency_code: "USD", value: "18.99" } },
      },
      {
        sequence: 2,
        tenure_type: "REGULAR",
        frequency: { interval_unit: "MONTH", interval_count: 1 },
        total_cycles: 0,
        pricing_scheme: { fixed_price: { currency_code: "USD", value: "29.00" } },
      },
    ]);
  });

  it("forever on a yearly plan: the regular cycle at the discounted price", async () => {
    await insertCoupon({ code: "PPFOREVER", percentOff: 33, duration: "forever" });
    const bought = await checkout({ coupon: "PPFOREVER", interval: "year" });
    const body = sentSubscriptionBody(bought.paypalId) as { plan: { billing_cycles: unknown[] } };
    // 29000 × 33% = 9570 off → 19430.
    expect(body.plan.billing_cycles).toStrictEqual([
      {
        sequence: 1,
        tenure_type: "REGULAR",
        frequency: { interval_unit: "YEAR", interval_count: 1 },
        total_cycles: 0,
        pricing_scheme: { fixed_price: { currency_code: "USD", value: "194.30" } },
      },
    ]);
  });

  it("override cycles: percentages round half up; repeating months map to yearly cycles", () => {
    const coupon = {
      id: "cpn_x",
      code: "X",
      name: null,
      percentOff: 15,
      amountOff: null,
      currency: null,
      duration: "repeating" as const,
      durationMonths: 13,
      expiresAt: null,
      maxRedemptions: null,
      timesRedeemed: 0,
      planIds: null,
      active: true,
      createdAt: 0,
      updatedAt: 0,
    };
    // 899 × 15% = 134.85 → 135 off → 764; 13 months cover the first two yearly periods.
    expect(couponBillingCycles(899, "usd", "month", coupon)?.[0]).toMatchObject({
      total_cycles: 13,
      pricing_scheme: { fixed_price: { value: "7.64" } },
    });
    expect(couponBillingCycles(9000, "usd", "year", coupon)?.[0]).toMatchObject({
      total_cycles: 2,
      pricing_scheme: { fixed_price: { value: "76.50" } },
    });
    expect(
      couponBillingCycles(9000, "usd", "year", { ...coupon, durationMonths: 12 })?.[0],
    ).toMatchObject({
      total_cycles: 1,
    });
    expect(() =>
      couponBillingCycles(9000, "usd", "month", {
        ...coupon,
        percentOff: null,
        amountOff: 100,
        currency: "eur",
      }),
    ).toThrow(ApiError);
  });

  it("the coupon is redeemed once when the subscription becomes active, however often PayPal says so", async () => {
    const couponId = await insertCoupon({ code: "PPREDEEM", percentOff: 10, duration: "once" });
    const t0 = Date.now();
    const bought = await activeSubscription(t0, { coupon: "PPREDEEM" });
    expect(
      await count(
        "select count(*) as n from coupon_redemptions where coupon_id = ? and user_id = ? and subscription_id = ?",
        couponId,
        bought.user.id,
        bought.subscriptionId,
      ),
    ).toBe(1);
    const again = paypal.subscriptionEvent(
      "BILLING.SUBSCRIPTION.UPDATED",
      bought.paypalId,
      iso(t0 + 5000),
    );
    expect(await receive(again)).toBe("processed");
    expect(
      await count("select count(*) as n from coupon_redemptions where coupon_id = ?", couponId),
    ).toBe(1);
    expect(await count("select times_redeemed as n from coupons where id = ?", couponId)).toBe(1);
  });
});

// ---- webhooks: verification ------------------------------------------------------------------

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
    expect(res.body).toStrictEqual({ received: true, duplicate: false });
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
    expect(
      await applyWebhookEvent(
        { db, env, config: config(), now: Date.now() },
        await storedEventId(event.id),
      ),
    ).toBe("ignored");
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
    expect((await subscriptionRow(bought.subscriptionId)).status).toBe("incomplete");
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

// ---- webhooks: subscription events -----------------------------------------------------------

describe("PayPal subscription events", () => {
  it("a verified ACTIVATED makes the subscription active; the next request already has the plan's limits", async () => {
    const t0 = Date.now();
    const bought = await checkout();
    expect(await minuteLimit(bought.user)).toBe(20);
    paypal.activate(bought.paypalId, iso(t0), iso(t0 + 30 * DAY), {
      value: "29.00",
      currency_code: "USD",
    });
    const event = paypal.subscriptionEvent(
      "BILLING.SUBSCRIPTION.ACTIVATED",
      bought.paypalId,
      iso(t0 + 1500),
    );
    const res = await deliver(event);
    expect(res.status).toBe(200);
    // Applied by the Worker's own queue handler, as in production.
    const result = await runWebhookQueue([await storedEventId(event.id)]);
    expect(result.explicitAcks).toStrictEqual(["msg-0"]);

    const row = await subscriptionRow(bought.subscriptionId);
    expect(row).toMatchObject({
      status: "active",
      standing: "good",
      planId: "pln_pro",
      interval: "month",
      providerSubscriptionId: bought.paypalId,
      currentPeriodStart: t0,
      currentPeriodEnd: t0 + 30 * DAY,
      providerStateAt: t0 + 1500,
      canceledAt: null,
      endedAt: null,
      pastDueSince: null,
    });
    const stored = await env.DB.prepare(
      "select status from webhook_events where provider_event_id = ?",
    )
      .bind(event.id)
      .first<{ status: string }>();
    expect(stored?.status).toBe("processed");
    expect(await minuteLimit(bought.user)).toBe(200);
  });

  it("finds the subscription by custom_id when PayPal's id is not linked yet", async () => {
    const t0 = Date.now();
    const bought = await checkout();
    await env.DB.prepare("update subscriptions set provider_subscription_id = null where id = ?")
      .bind(bought.subscriptionId)
      .run();
    paypal.activate(bought.paypalId, iso(t0), iso(t0 + 30 * DAY));
    await receive(
      paypal.subscriptionEvent("BILLING.SUBSCRIPTION.ACTIVATED", bought.paypalId, iso(t0 + 1)),
    );
    expect(await subscriptionRow(bought.subscriptionId)).toMatchObject({
      status: "active",
      providerSubscriptionId: bought.paypalId,
    });
  });

  it("an event for a subscription tollgate does not know changes nothing", async () => {
    const t0 = Date.now();
    const bought = await checkout();
    paypal.activate(bought.paypalId, iso(t0), iso(t0 + 30 * DAY));
    const event = paypal.subscriptionEvent(
      "BILLING.SUBSCRIPTION.ACTIVATED",
      bought.paypalId,
      iso(t0 + 1),
    );
    event.resource.id = "I-SOMEONEELSE";
    event.resource.custom_id = "sub_unknown";
    expect(await receive(event)).toBe("processed");
    expect((await subscriptionRow(bought.subscriptionId)).status).toBe("incomplete");
  });

  it("UPDATED to another PayPal plan moves the subscription to that plan and its limits", async () => {
    const t0 = Date.now();
    const bought = await activeSubscription(t0);
    const provider = createPayPalProvider(config()) as BillingProvider;
    const basic = await db.query.plans.findFirst({ where: (p, { eq }) => eq(p.id, "pln_basic") });
    if (!basic) throw new Error("no basic plan");
    const revision = await provider.changePlan(await subscriptionRow(bought.subscriptionId), {
      plan: basic,
      interval: "month",
      prorate: false,
      returnUrl: "https://app.test/billing/changed",
    });
    expect(revision.approvalUrl).toMatch(
      /^https:\/\/www\.paypal\.fake\/webapps\/billing\/subscriptions\/update/,
    );
    expect(
      paypal.callsTo("POST", `/v1/billing/subscriptions/${bought.paypalId}/revise`)[0]?.body,
    ).toStrictEqual({
      plan_id: "P-BASIC-MONTH",
      application_context: {
        return_url: "https://app.test/billing/changed",
        cancel_url: "https://app.test/billing/changed",
        shipping_preference: "NO_SHIPPING",
      },
    });
    // The buyer approved: PayPal reports the new plan.
    paypal.update(bought.paypalId, { plan_id: "P-BASIC-MONTH", update_time: iso(t0 + 2000) });
    await receive(
      paypal.subscriptionEvent("BILLING.SUBSCRIPTION.UPDATED", bought.paypalId, iso(t0 + 2000)),
    );
    expect(await subscriptionRow(bought.subscriptionId)).toMatchObject({
      status: "active",
      planId: "pln_basic",
      interval: "month",
      providerStateAt: t0 + 2000,
    });
    expect(await minuteLimit(bought.user)).toBe(60);
  });

  it("SUSPENDED → past_due (limits kept while in grace); ACTIVATED again → good standing", async () => {
    const t0 = Date.now();
    const bought = await activeSubscription(t0);
    paypal.update(bought.paypalId, { status: "SUSPENDED", status_update_time: iso(t0 + 3000) });
    await receive(
      paypal.subscriptionEvent("BILLING.SUBSCRIPTION.SUSPENDED", bought.paypalId, iso(t0 + 3000)),
    );
    const suspended = await subscriptionRow(bought.subscriptionId);
    expect(suspended).toMatchObject({
      status: "past_due",
      standing: "past_due",
      providerStateAt: t0 + 3000,
    });
    expect(suspended.pastDueSince).toBeTypeOf("number");
    const ping = await api<{ standing: string }>("GET", "/v1/ping", {
      token: bought.user.accessToken,
    });
    expect(ping.body.standing).toBe("past_due");

    paypal.update(bought.paypalId, { status: "ACTIVE", status_update_time: iso(t0 + 4000) });
    await receive(
      paypal.subscriptionEvent("BILLING.SUBSCRIPTION.ACTIVATED", bought.paypalId, iso(t0 + 4000)),
    );
    expect(await subscriptionRow(bought.subscriptionId)).toMatchObject({
      status: "active",
      standing: "good",
      pastDueSince: null,
    });
    expect(await minuteLimit(bought.user)).toBe(200);
  });

  it("PAYMENT.FAILED → past_due and one payment_failed email, queued after the commit", async () => {
    const t0 = Date.now();
    const bought = await activeSubscription(t0);
    paypal.update(bought.paypalId, {
      billing_info: {
        failed_payments_count: 1,
        next_billing_time: iso(t0 + 30 * DAY),
        last_failed_payment: {
          amount: { currency_code: "USD", value: "29.00" },
          time: iso(t0 + 5000),
        },
      },
    });
    mailed = [];
    await receive(
      paypal.subscriptionEvent(
        "BILLING.SUBSCRIPTION.PAYMENT.FAILED",
        bought.paypalId,
        iso(t0 + 5000),
      ),
    );
    expect(await subscriptionRow(bought.subscriptionId)).toMatchObject({
      status: "past_due",
      standing: "past_due",
      providerStateAt: t0 + 5000,
    });
    const emails = await env.DB.prepare(
      "select id, to_address, template, text_body from email_outbox where user_id = ? and template = 'payment_failed'",
    )
      .bind(bought.user.id)
      .all<{ id: string; to_address: string; template: string; text_body: string }>();
    expect(emails.results).toHaveLength(1);
    const [email] = emails.results;
    expect(email?.to_address).toBe(bought.user.email);
    expect(email?.text_body).toContain("We could not charge 29.00 USD for your Pro subscription.");
    expect(mailed).toStrictEqual([email?.id]);
  });

  it("CANCELLED ends the subscription: back to the free plan's limits", async () => {
    const t0 = Date.now();
    const bought = await activeSubscription(t0);
    paypal.update(bought.paypalId, {
      status: "CANCELLED",
      status_update_time: iso(t0 + 6000),
      billing_info: { failed_payments_count: 0 },
    });
    await receive(
      paypal.subscriptionEvent("BILLING.SUBSCRIPTION.CANCELLED", bought.paypalId, iso(t0 + 6000)),
    );
    const row = await subscriptionRow(bought.subscriptionId);
    expect(row).toMatchObject({
      status: "canceled",
      canceledAt: t0 + 6000,
      cancelAtPeriodEnd: false,
      // PayPal drops next_billing_time once canceled; the period we knew is kept.
      currentPeriodEnd: t0 + 30 * DAY,
    });
    expect(row.endedAt).toBeTypeOf("number");
    expect(await minuteLimit(bought.user)).toBe(20);
  });

  it("EXPIRED ends the subscription", async () => {
    const t0 = Date.now();
    const bought = await activeSubscription(t0);
    paypal.update(bought.paypalId, { status: "EXPIRED", status_update_time: iso(t0 + 7000) });
    await receive(
      paypal.subscriptionEvent("BILLING.SUBSCRIPTION.EXPIRED", bought.paypalId, iso(t0 + 7000)),
    );
    const row = await subscriptionRow(bought.subscriptionId);
    expect(row.status).toBe("expired");
    expect(row.endedAt).toBeTypeOf("number");
    expect(await minuteLimit(bought.user)).toBe(20);
  });

  it("an older event delivered late never overwrites a newer state", async () => {
    const t0 = Date.now();
    const bought = await activeSubscription(t0);
    // PayPal suspended at t0+10s and emitted SUSPENDED; later it was active again (UPDATED at t0+20s).
    paypal.update(bought.paypalId, { status: "SUSPENDED", status_update_time: iso(t0 + 10_000) });
    const suspended = paypal.subscriptionEvent(
      "BILLING.SUBSCRIPTION.SUSPENDED",
      bought.paypalId,
      iso(t0 + 10_000),
    );
    paypal.update(bought.paypalId, {
      status: "ACTIVE",
      status_update_time: iso(t0 + 20_000),
      billing_info: { failed_payments_count: 0, next_billing_time: iso(t0 + 60 * DAY) },
    });
    const updated = paypal.subscriptionEvent(
      "BILLING.SUBSCRIPTION.UPDATED",
      bought.paypalId,
      iso(t0 + 20_000),
    );
    // Delivered newest first.
    expect(await receive(updated)).toBe("processed");
    expect(await receive(suspended)).toBe("processed");
    expect(await subscriptionRow(bought.subscriptionId)).toMatchObject({
      status: "active",
      standing: "good",
      currentPeriodEnd: t0 + 60 * DAY,
      providerStateAt: t0 + 20_000,
      pastDueSince: null,
    });
    expect(await minuteLimit(bought.user)).toBe(200);
  });

  it("a late PAYMENT.FAILED older than the state we have neither demotes nor mails", async () => {
    const t0 = Date.now();
    const bought = await activeSubscription(t0);
    const late = paypal.subscriptionEvent(
      "BILLING.SUBSCRIPTION.PAYMENT.FAILED",
      bought.paypalId,
      iso(t0 + 100),
    );
    expect(await receive(late)).toBe("processed");
    expect((await subscriptionRow(bought.subscriptionId)).status).toBe("active");
    expect(
      await count(
        "select count(*) as n from email_outbox where user_id = ? and template = 'payment_failed'",
        bought.user.id,
      ),
    ).toBe(0);
  });

  it("a cancellation at the period end survives PayPal's UPDATED events (PayPal knows nothing of it)", async () => {
    const t0 = Date.now();
    const bought = await activeSubscription(t0);
    const res = await api("POST", "/v1/subscription/cancel", {
      token: bought.user.accessToken,
      body: { at_period_end: true },
    });
    expect(res.status).toBe(200);
    expect(
      paypal.callsTo("POST", `/v1/billing/subscriptions/${bought.paypalId}/cancel`),
    ).toHaveLength(0);
    paypal.update(bought.paypalId, { update_time: iso(t0 + 8000) });
    await receive(
      paypal.subscriptionEvent("BILLING.SUBSCRIPTION.UPDATED", bought.paypalId, iso(t0 + 8000)),
    );
    expect(await subscriptionRow(bought.subscriptionId)).toMatchObject({
      status: "active",
      cancelAtPeriodEnd: true,
    });
  });

  it("cancelling now cancels at PayPal with the reason", async () => {
    const t0 = Date.now();
    const bought = await activeSubscription(t0);
    const res = await api("POST", "/v1/subscription/cancel", {
      token: bought.user.accessToken,
      body: { at_period_end: false, reason: "too expensive" },
    });
    expect(res.status).toBe(200);
    expect(
      paypal
        .callsTo("POST", `/v1/billing/subscriptions/${bought.paypalId}/cancel`)
        .map((c) => c.body),
    ).toStrictEqual([{ reason: "too expensive" }]);
    expect(paypal.subscription(bought.paypalId).status).toBe("CANCELLED");
    expect((await subscriptionRow(bought.subscriptionId)).status).toBe("canceled");
  });
});

// ---- webhooks: payments and refunds ----------------------------------------------------------

describe("PayPal payment events", () => {
  it("PAYMENT.SALE.COMPLETED delivered five times records one payment", async () => {
    const t0 = Date.now();
    const bought = await activeSubscription(t0);
    const sale = paypal.saleCompletedEvent(
      "5SALE0001",
      bought.paypalId,
      "29.00",
      "USD",
      iso(t0 + 2000),
    );
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push((await deliver(sale)).body);
    expect(answers).toStrictEqual([
      { received: true, duplicate: false },
      { received: true, duplicate: true },
      { received: true, duplicate: true },
      { received: true, duplicate: true },
      { received: true, duplicate: true },
    ]);
    const eventId = await storedEventId(sale.id);
    // Queue redeliveries of the same message: applied once, every one acked.
    const result = await runWebhookQueue([eventId, eventId, eventId, eventId, eventId]);
    expect(result.explicitAcks.sort()).toStrictEqual(["msg-0", "msg-1", "msg-2", "msg-3", "msg-4"]);
    // PayPal resending the sale under a new event id changes nothing either.
    const resent = { ...sale, id: `${sale.id}-RESENT` };
    expect(await receive(resent)).toBe("processed");

    expect(
      await count("select count(*) as n from payments where provider_payment_id = '5SALE0001'"),
    ).toBe(1);
    expect(await paymentRow("5SALE0001")).toMatchObject({
      userId: bought.user.id,
      subscriptionId: bought.subscriptionId,
      provider: "paypal",
      amount: 2900,
      amountRefunded: 0,
      currency: "usd",
      status: "succeeded",
      periodStart: t0 + 2000,
    });
  });

  it("a payment after a failure restores good standing", async () => {
    const t0 = Date.now();
    const bought = await activeSubscription(t0);
    paypal.update(bought.paypalId, { status: "SUSPENDED", status_update_time: iso(t0 + 3000) });
    await receive(
      paypal.subscriptionEvent("BILLING.SUBSCRIPTION.SUSPENDED", bought.paypalId, iso(t0 + 3000)),
    );
    expect((await subscriptionRow(bought.subscriptionId)).standing).toBe("past_due");
    await receive(
      paypal.saleCompletedEvent("5SALE0002", bought.paypalId, "29.00", "USD", iso(t0 + 4000)),
    );
    expect(await subscriptionRow(bought.subscriptionId)).toMatchObject({
      status: "active",
      standing: "good",
      pastDueSince: null,
    });
  });

  it("a sale for an unknown subscription is not dropped: the event fails and stays for a retry", async () => {
    const sale = paypal.saleCompletedEvent(
      "5SALEORPHAN",
      "I-NOTOURS",
      "29.00",
      "USD",
      iso(Date.now()),
    );
    const res = await deliver(sale);
    expect(res.status).toBe(200);
    const id = await storedEventId(sale.id);
    await expect(
      applyWebhookEvent({ db, env, config: config(), now: Date.now() }, id),
    ).rejects.toThrow(/unknown subscription/);
    const row = await env.DB.prepare("select status, last_error from webhook_events where id = ?")
      .bind(id)
      .first<{ status: string; last_error: string }>();
    expect(row?.status).toBe("pending");
    expect(row?.last_error).toContain("I-NOTOURS");
    expect(
      await count("select count(*) as n from payments where provider_payment_id = '5SALEORPHAN'"),
    ).toBe(0);
  });

  it("refunds: a partial refund through the admin API, PayPal's event for it, then the rest", async () => {
    const t0 = Date.now();
    const bought = await activeSubscription(t0);
    await receive(
      paypal.saleCompletedEvent("5SALE0003", bought.paypalId, "29.00", "USD", iso(t0 + 2000)),
    );
    const payment = await paymentRow("5SALE0003");
    if (!payment) throw new Error("no payment");
    const admin = await signupAdmin();

    const partial = await api<{ amount_refunded: number; status: string }>(
      "POST",
      `/v1/admin/payments/${payment.id}/refund`,
      { token: admin.accessToken, body: { amount: 1050, reason: "goodwill" } },
    );
    expect(partial.status).toBe(200);
    expect(partial.body).toMatchObject({ amount_refunded: 1050, status: "partially_refunded" });
    expect(
      paypal.callsTo("POST", "/v1/payments/sale/5SALE0003/refund").map((c) => c.body),
    ).toStrictEqual([{ amount: { total: "10.50", currency: "USD" }, description: "goodwill" }]);

    // PayPal reports the same refund: counted once.
    await receive(paypal.refundEvent("5SALE0003", "10.50", "10.50", "USD", iso(t0 + 3000)));
    expect(await paymentRow("5SALE0003")).toMatchObject({
      amountRefunded: 1050,
      status: "partially_refunded",
    });

    // A refund made in PayPal's dashboard: the sale's total is now all of it.
    await receive(paypal.refundEvent("5SALE0003", "18.50", "29.00", "USD", iso(t0 + 4000)));
    expect(await paymentRow("5SALE0003")).toMatchObject({
      amountRefunded: 2900,
      status: "refunded",
    });
  });

  it("a full refund through the admin API refunds what is left", async () => {
    const t0 = Date.now();
    const bought = await activeSubscription(t0);
    await receive(
      paypal.saleCompletedEvent("5SALE0004", bought.paypalId, "29.00", "USD", iso(t0 + 2000)),
    );
    const payment = await paymentRow("5SALE0004");
    if (!payment) throw new Error("no payment");
    const admin = await signupAdmin();
    const full = await api<{ amount_refunded: number; status: string }>(
      "POST",
      `/v1/admin/payments/${payment.id}/refund`,
      { token: admin.accessToken, body: {} },
    );
    expect(full.status).toBe(200);
    expect(full.body).toMatchObject({ amount_refunded: 2900, status: "refunded" });
    expect(
      paypal.callsTo("POST", "/v1/payments/sale/5SALE0004/refund").map((c) => c.body),
    ).toStrictEqual([{ amount: { total: "29.00", currency: "USD" } }]);
    expect(paypal.sales.get("5SALE0004")?.refunds.map((r) => r.total)).toStrictEqual(["29.00"]);
  });

  it("a refund event without PayPal's running total records at least that refund (never less than known)", async () => {
    const t0 = Date.now();
    const bought = await activeSubscription(t0);
    await receive(
      paypal.saleCompletedEvent("5SALE0005", bought.paypalId, "29.00", "USD", iso(t0 + 2000)),
    );
    // Some payloads carry the refunded amount negative.
    await receive(paypal.refundEvent("5SALE0005", "-5.00", null, "USD", iso(t0 + 3000)));
    expect(await paymentRow("5SALE0005")).toMatchObject({
      amountRefunded: 500,
      status: "partially_refunded",
    });
  });

  it("REVERSED (a chargeback) refunds the whole sale", async () => {
    const t0 = Date.now();
    const bought = await activeSubscription(t0);
    await receive(
      paypal.saleCompletedEvent("5SALE0006", bought.paypalId, "29.00", "USD", iso(t0 + 2000)),
    );
    await receive(paypal.reversedEvent("5SALE0006", "29.00", "USD", iso(t0 + 3000)));
    expect(await paymentRow("5SALE0006")).toMatchObject({
      amountRefunded: 2900,
      status: "refunded",
    });
  });

  it("a refund that arrives before its sale is retried, then applies once the sale is recorded", async () => {
    const t0 = Date.now();
    const bought = await activeSubscription(t0);
    const sale = paypal.saleCompletedEvent(
      "5SALE0007",
      bought.paypalId,
      "29.00",
      "USD",
      iso(t0 + 2000),
    );
    const refund = paypal.refundEvent("5SALE0007", "29.00", "29.00", "USD", iso(t0 + 3000));
    expect((await deliver(refund)).status).toBe(200);
    const refundId = await storedEventId(refund.id);
    await expect(
      applyWebhookEvent({ db, env, config: config(), now: Date.now() }, refundId),
    ).rejects.toThrow(/not recorded yet/);
    await receive(sale);
    expect(await applyWebhookEvent({ db, env, config: config(), now: Date.now() }, refundId)).toBe(
      "processed",
    );
    expect(await paymentRow("5SALE0007")).toMatchObject({
      amountRefunded: 2900,
      status: "refunded",
    });
  });
});

// ---- the provider's API client ---------------------------------------------------------------

describe("PayPal provider", () => {
  function provider(): BillingProvider {
    const p = createPayPalProvider(config());
    if (!p) throw new Error("PayPal is not configured in the test bindings");
    return p;
  }

  it("is not available without client id and secret", () => {
    expect(createPayPalProvider({ ...config(), PAYPAL_CLIENT_SECRET: undefined })).toBeNull();
    expect(createPayPalProvider({ ...config(), PAYPAL_CLIENT_ID: undefined })).toBeNull();
    expect(provider().name).toBe("paypal");
  });

  it("caches the access token in the isolate, and renews it once PayPal refuses it", async () => {
    const p = provider();
    const created = await p.createCheckout({
      user: { id: "usr_x", email: "x@example.test" },
      plan: (await db.query.plans.findFirst({
        where: (pl, { eq }) => eq(pl.id, "pln_pro"),
      })) as never,
      interval: "month",
      coupon: null,
      successUrl: "https://app.test/ok",
      cancelUrl: "https://app.test/no",
      customerId: null,
      subscriptionId: "sub_tokencache",
    });
    await p.fetchSubscription(created.providerSubscriptionId as string);
    await p.fetchSubscription(created.providerSubscriptionId as string);
    expect(paypal.tokensIssued).toBe(1);
    paypal.revokeTokens();
    await p.fetchSubscription(created.providerSubscriptionId as string);
    expect(paypal.tokensIssued).toBe(2);
    // The refused call was retried once with the new token.
    expect(
      paypal.callsTo("GET", `/v1/billing/subscriptions/${created.providerSubscriptionId}`),
    ).toHaveLength(4);
  });

  it("a retried checkout with the same subscription id is the same PayPal subscription", async () => {
    const p = provider();
    const plan = (await db.query.plans.findFirst({
      where: (pl, { eq }) => eq(pl.id, "pln_pro"),
    })) as never;
    const request = {
      user: { id: "usr_x", email: "x@example.test" },
      plan,
      interval: "month" as const,
      coupon: null,
      successUrl: "https://app.test/ok",
      cancelUrl: "https://app.test/no",
      customerId: null,
      subscriptionId: "sub_retried",
    };
    const first = await p.createCheckout(request);
    const second = await p.createCheckout(request);
    expect(second).toStrictEqual(first);
    expect(paypal.subscriptions.size).toBe(1);
  });

  it("fetchSubscription maps PayPal's subscription to tollgate's state", async () => {
    const p = provider();
    const bought = await checkout();
    expect(await p.fetchSubscription(bought.paypalId)).toStrictEqual({
      providerSubscriptionId: bought.paypalId,
      status: "incomplete",
      providerPriceId: "P-PRO-MONTH",
      currentPeriodStart: Date.parse(paypal.now),
      currentPeriodEnd: null,
      trialEnd: null,
      cancelAtPeriodEnd: false,
      canceledAt: null,
      stateAt: Date.parse(paypal.now),
    });
    paypal.activate(bought.paypalId, "2026-03-02T08:00:00Z", "2026-04-02T10:00:00Z", {
      value: "29.00",
      currency_code: "USD",
    });
    paypal.update(bought.paypalId, {
      billing_info: {
        failed_payments_count: 0,
        next_billing_time: "2026-05-02T10:00:00Z",
        last_payment: {
          amount: { value: "29.00", currency_code: "USD" },
          time: "2026-04-02T10:00:05Z",
        },
      },
    });
    expect(await p.fetchSubscription(bought.paypalId)).toMatchObject({
      status: "active",
      currentPeriodStart: Date.parse("2026-04-02T10:00:05Z"),
      currentPeriodEnd: Date.parse("2026-05-02T10:00:00Z"),
      stateAt: Date.parse("2026-03-02T08:00:00Z"),
    });
    const statuses: [string, string][] = [
      ["APPROVED", "incomplete"],
      ["SUSPENDED", "past_due"],
      ["CANCELLED", "canceled"],
      ["EXPIRED", "expired"],
    ];
    for (const [paypalStatus, ours] of statuses) {
      paypal.update(bought.paypalId, {
        status: paypalStatus as never,
        status_update_time: "2026-04-10T00:00:00Z",
      });
      const state = await p.fetchSubscription(bought.paypalId);
      expect([paypalStatus, state.status]).toStrictEqual([paypalStatus, ours]);
    }
    expect((await p.fetchSubscription(bought.paypalId)).canceledAt).toBeNull();
    paypal.update(bought.paypalId, { status: "CANCELLED" });
    expect((await p.fetchSubscription(bought.paypalId)).canceledAt).toBe(
      Date.parse("2026-04-10T00:00:00Z"),
    );
  });

  it("cancel: nothing asked of PayPal at the period end; now → /cancel; already canceled is fine", async () => {
    const p = provider();
    const t0 = Date.now();
    const bought = await activeSubscription(t0);
    const row = await subscriptionRow(bought.subscriptionId);
    await p.cancel(row, { atPeriodEnd: true, reason: "later" });
    await p.resume(row);
    expect(paypal.calls.filter((c) => c.path.includes(`${bought.paypalId}/cancel`))).toHaveLength(
      0,
    );
    await p.cancel(row, { atPeriodEnd: false, reason: "x".repeat(300) });
    await p.cancel(row, { atPeriodEnd: false });
    const cancels = paypal.callsTo("POST", `/v1/billing/subscriptions/${bought.paypalId}/cancel`);
    expect(cancels.map((c) => c.body)).toStrictEqual([
      { reason: "x".repeat(128) },
      { reason: "Canceled by the subscriber" },
    ]);
    expect(paypal.subscription(bought.paypalId).status).toBe("CANCELLED");
  });

  it("errors carry PayPal's error name and debug_id", async () => {
    const p = provider();
    const error = await p.fetchSubscription("I-DOESNOTEXIST").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe("provider_error");
    expect((error as ApiError).detail).toMatch(
      /^PayPal show subscription failed with HTTP 404 RESOURCE_NOT_FOUND \(INVALID_RESOURCE_ID\) debug_id [a-z0-9]{13}$/,
    );
    const refund = await p
      .refund({ providerPaymentId: "NOSALE", currency: "usd" } as Payment, 100)
      .catch((e: unknown) => e);
    expect((refund as ApiError).code).toBe("provider_error");
  });

  it("bad credentials are a provider_error that names neither the id nor the secret", async () => {
    const p = createPayPalProvider({ ...config(), PAYPAL_CLIENT_SECRET: "wrong-secret" });
    const error = (await p?.fetchSubscription("I-X").catch((e: unknown) => e)) as ApiError;
    expect(error.code).toBe("provider_error");
    expect(error.detail).toBe("PayPal authentication failed with HTTP 401 invalid_client");
    expect(JSON.stringify(error.toProblem())).not.toContain("wrong-secret");
  });
});
