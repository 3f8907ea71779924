// Subscription lifecycle routes, payments, refunds and the webhook pipeline's admin side,
// against the fake Stripe API.
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { openDb } from "../src/db";
import { loadConfig } from "../src/env";
import worker from "../src/index";
import { DAY } from "../src/lib/time";
import { applyWebhookEvent } from "../src/webhooks/consumer";
import { type FakeStripe, installFakeStripe, signedDelivery, stripeEvent } from "./fakes/stripe";
import { insertPayment, insertSubscription, sellAt } from "./fixtures";
import { api, count, holdQueues, signup, signupAdmin, type TestUser, testContext } from "./helpers";

let fake: FakeStripe;
let queued: string[];

beforeEach(async () => {
  fake = installFakeStripe();
  queued = holdQueues().events;
  await sellAt("stripe", "basic", "pro");
});

const T0 = Date.parse("2032-03-01T00:00:00Z");
const PERIOD_END = Date.parse("2032-03-31T00:00:00Z");

/** A user with an active Stripe subscription to `plan`, known to both D1 and the fake. */
async function subscribed(
  plan: "basic" | "pro",
  label = "sub",
): Promise<TestUser & { subscriptionId: string; stripeId: string }> {
  const user = await signup(label);
  fake.customers.set(`cus_${user.id}`, {
    id: `cus_${user.id}`,
    object: "customer",
    email: user.email,
  });
  const stripe = fake.addSubscription({
    customer: `cus_${user.id}`,
    price: plan === "basic" ? "price_basic_m" : "price_pro_m",
    status: "active",
    periodStart: T0 / 1000,
    periodEnd: PERIOD_END / 1000,
  });
  const { id } = await insertSubscription(user.id, {
    planId: `pln_${plan}`,
    provider: "stripe",
    providerSubscriptionId: stripe.id as string,
    providerCustomerId: `cus_${user.id}`,
    currentPeriodStart: T0,
    currentPeriodEnd: PERIOD_END,
    createdAt: T0,
  });
  await env.DB.prepare(
    "insert into billing_customers (user_id, provider, customer_id, created_at) values (?, 'stripe', ?, ?)",
  )
    .bind(user.id, `cus_${user.id}`, T0)
    .run();
  return { ...user, subscriptionId: id, stripeId: stripe.id as string };
}

describe("GET /v1/subscription", () => {
  it("is null on the free plan and shows the paid subscription otherwise", async () => {
    const free = await signup("free");
    expect((await api("GET", "/v1/subscription", { token: free.accessToken })).body).toEqual({
      subscription: null,
    });
    const paid = await subscribed("basic", "paid");
    const res = await api<{ subscription: Record<string, unknown> }>("GET", "/v1/subscription", {
      token: paid.accessToken,
    });
    expect(res.body.subscription).toMatchObject({
      id: paid.subscriptionId,
      plan: { id: "pln_basic", code: "basic" },
      interval: "month",
      status: "active",
      standing: "good",
      provider: "stripe",
      cancel_at_period_end: false,
      current_period_end: new Date(PERIOD_END).toISOString(),
      scheduled_change: null,
    });
    // Another user's subscription is invisible.
    expect((await api("GET", "/v1/subscription", { token: free.accessToken })).body).toEqual({
      subscription: null,
    });
  });
});

describe("checkout", () => {
  it("refuses a second subscription, an unpurchasable plan and bad input without writing", async () => {
    const paid = await subscribed("basic", "twice");
    const body = {
      plan_id: "pln_pro",
      interval: "month",
      provider: "stripe",
      success_url: "https://app.test/ok",
      cancel_url: "https://app.test/no",
    };
    expect(
      (await api("POST", "/v1/subscription/checkout", { token: paid.accessToken, body })).status,
    ).toBe(409);
    const user = await signup("checkout");
    const enterprise = await api("POST", "/v1/subscription/checkout", {
      token: user.accessToken,
      body: { ...body, plan_id: "pln_enterprise" },
    });
    expect(enterprise.status).toBe(409);
    expect(enterprise.body.code).toBe("plan_not_available");
    const free = await api("POST", "/v1/subscription/checkout", {
      token: user.accessToken,
      body: { ...body, plan_id: "pln_free" },
    });
    expect(free.status).toBe(409);
    const bad = await api("POST", "/v1/subscription/checkout", {
      token: user.accessToken,
      body: { ...body, interval: "week", success_url: "javascript:alert(1)" },
    });
    expect(bad.status).toBe(400);
    expect(await count("select count(*) as n from subscriptions where user_id = ?", user.id)).toBe(
      0,
    );
  });

  it("supersedes an abandoned checkout", async () => {
    const user = await signup("again");
    const body = {
      plan_id: "pln_pro",
      interval: "month",
      provider: "stripe",
      success_url: "https://app.test/ok",
      cancel_url: "https://app.test/no",
    };
    const first = await api<{ subscription_id: string }>("POST", "/v1/subscription/checkout", {
      token: user.accessToken,
      body,
    });
    const second = await api<{ subscription_id: string }>("POST", "/v1/subscription/checkout", {
      token: user.accessToken,
      body,
    });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    const rows = await env.DB.prepare(
      "select id, status from subscriptions where user_id = ? order by created_at, rowid",
    )
      .bind(user.id)
      .all<{ id: string; status: string }>();
    expect(rows.results).toEqual([
      { id: first.body.subscription_id, status: "expired" },
      { id: second.body.subscription_id, status: "incomplete" },
    ]);
  });
});

describe("plan changes", () => {
  it("previews an upgrade and applies it at once, with the new limits on the next request", async () => {
    vi.setSystemTime(T0 + 15 * DAY);
    const user = await subscribed("basic", "upgrade");
    const preview = await api(
      "GET",
      "/v1/subscription/change/preview?plan_id=pln_pro&interval=month",
      {
        token: user.accessToken,
      },
    );
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ direction: "upgrade", currency: "usd" });
    // 15 of 30 days left: half of Basic back (450), half of Pro charged (1450).
    expect(preview.body).toMatchObject({
      credit: 450,
      charge: 1450,
      amount_due_now: 1000,
      carried_credit: 0,
    });

    const change = await api("POST", "/v1/subscription/change", {
      token: user.accessToken,
      body: { plan_id: "pln_pro", interval: "month" },
    });
    expect(change.status).toBe(200);
    expect(change.body).toMatchObject({
      effective: "now",
      subscription: { plan: { code: "pro" } },
    });
    const update = fake.calls("POST", `/v1/subscriptions/${user.stripeId}`).at(-1);
    expect(update?.params.proration_behavior).toBe("always_invoice");
    const ping = await api<{ windows: { hour: { limit: number } } }>("GET", "/v1/ping", {
      token: user.accessToken,
    });
    expect(ping.body.windows.hour.limit).toBe(2000);
  });

  it("schedules a downgrade for the period end, arranged at Stripe at once; the current plan calls it off", async () => {
    vi.setSystemTime(T0 + 10 * DAY);
    const user = await subscribed("pro", "downgrade");
    const change = await api("POST", "/v1/subscription/change", {
      token: user.accessToken,
      body: { plan_id: "pln_basic", interval: "month" },
    });
    expect(change.status).toBe(200);
    expect(change.body).toMatchObject({
      effective: "period_end",
      subscription: {
        plan: { code: "pro" },
        scheduled_change: {
          plan_id: "pln_basic",
          interval: "month",
          at: new Date(PERIOD_END).toISOString(),
          effective_at: new Date(PERIOD_END).toISOString(),
        },
      },
    });
    // Stripe has it now (a schedule), so the renewal is billed at Basic's price.
    expect(fake.calls("POST", "/v1/subscription_schedules")).toHaveLength(1);
    expect(fake.calls("POST", `/v1/subscriptions/${user.stripeId}`)).toHaveLength(0);
    const scheduleId = fake.subscriptions.get(user.stripeId)?.schedule as string;
    expect(fake.schedules.byId.get(scheduleId)?.phases[1]?.items).toEqual([
      { price: "price_basic_m", quantity: 1 },
    ]);

    const same = await api("POST", "/v1/subscription/change", {
      token: user.accessToken,
      body: { plan_id: "pln_pro", interval: "month" },
    });
    expect(same.status, same.text).toBe(200);
    expect(same.body).toMatchObject({
      subscription: { plan: { code: "pro" }, scheduled_change: null },
    });
    expect(fake.calls("POST", `/v1/subscription_schedules/${scheduleId}/release`)).toHaveLength(1);
    const again = await api("POST", "/v1/subscription/change", {
      token: user.accessToken,
      body: { plan_id: "pln_pro", interval: "month" },
    });
    expect(again.status).toBe(409);
  });

  it("refuses changes without a paid subscription", async () => {
    const user = await signup("nochange");
    const res = await api("GET", "/v1/subscription/change/preview?plan_id=pln_pro&interval=month", {
      token: user.accessToken,
    });
    expect(res.status).toBe(404);
  });
});

describe("cancel and resume", () => {
  it("cancels at the period end, resumes, then cancels now and drops to free limits", async () => {
    const user = await subscribed("pro", "cancel");
    const cancel = await api("POST", "/v1/subscription/cancel", {
      token: user.accessToken,
      body: { reason: "too pricey" },
    });
    expect(cancel.status).toBe(200);
    expect(cancel.body).toMatchObject({
      subscription: { cancel_at_period_end: true, status: "active" },
    });
    expect(
      fake.calls("POST", `/v1/subscriptions/${user.stripeId}`).at(-1)?.params.cancel_at_period_end,
    ).toBe("true");

    const resume = await api("POST", "/v1/subscription/resume", { token: user.accessToken });
    expect(resume.status).toBe(200);
    expect(resume.body).toMatchObject({ subscription: { cancel_at_period_end: false } });
    expect((await api("POST", "/v1/subscription/resume", { token: user.accessToken })).status).toBe(
      409,
    );

    const now = await api("POST", "/v1/subscription/cancel", {
      token: user.accessToken,
      body: { at_period_end: false },
    });
    expect(now.status).toBe(200);
    expect(now.body).toMatchObject({ subscription: { status: "canceled" } });
    expect(fake.calls("DELETE", `/v1/subscriptions/${user.stripeId}`)).toHaveLength(1);
    const ping = await api<{ windows: { hour: { limit: number } } }>("GET", "/v1/ping", {
      token: user.accessToken,
    });
    expect(ping.body.windows.hour.limit).toBe(100);
  });
});

describe("billing portal", () => {
  it("answers a portal URL for a Stripe customer and 409 for others", async () => {
    const paid = await subscribed("basic", "portal");
    const res = await api<{ url: string }>("POST", "/v1/billing/portal", {
      token: paid.accessToken,
      body: { return_url: "https://app.test/account" },
    });
    expect(res.status).toBe(200);
    expect(res.body.url).toMatch(/^https:\/\//);
    const free = await signup("noportal");
    expect(
      (
        await api("POST", "/v1/billing/portal", {
          token: free.accessToken,
          body: { return_url: "https://app.test/a" },
        })
      ).status,
    ).toBe(409);
  });
});

/** A succeeded Stripe payment of the user's subscription, and its charge in the fake. */
async function paidCharge(
  user: TestUser & { subscriptionId: string },
  charge: string,
  amount = 2900,
) {
  const { id } = await insertPayment(user.id, {
    subscriptionId: user.subscriptionId,
    provider: "stripe",
    providerPaymentId: charge,
    amount,
    createdAt: T0,
  });
  fake.addCharge({ id: charge, amount });
  return id;
}

describe("payments", () => {
  it("lists a user's own payments and hides others' (404)", async () => {
    const alice = await subscribed("pro", "alice");
    const bob = await subscribed("pro", "bob");
    const mine = await paidCharge(alice, `ch_${crypto.randomUUID().slice(0, 8)}`);
    const theirs = await paidCharge(bob, `ch_${crypto.randomUUID().slice(0, 8)}`);
    const list = await api<{ data: { id: string; amount: number; currency: string }[] }>(
      "GET",
      "/v1/payments",
      {
        token: alice.accessToken,
      },
    );
    expect(list.body.data.map((p) => p.id)).toEqual([mine]);
    expect(list.body.data[0]).toMatchObject({ amount: 2900, currency: "usd", status: "succeeded" });
    expect((await api("GET", `/v1/payments/${mine}`, { token: alice.accessToken })).status).toBe(
      200,
    );
    expect((await api("GET", `/v1/payments/${theirs}`, { token: alice.accessToken })).status).toBe(
      404,
    );
  });

  it("refunds in part then in full through the provider, audit-logged, and refuses over-refunds", async () => {
    const admin = await signupAdmin();
    const user = await subscribed("pro", "refund");
    const charge = `ch_${crypto.randomUUID().slice(0, 8)}`;
    const id = await paidCharge(user, charge);
    const part = await api("POST", `/v1/admin/payments/${id}/refund`, {
      token: admin.accessToken,
      body: { amount: 900 },
    });
    expect(part.status).toBe(200);
    expect(part.body).toMatchObject({ amount_refunded: 900, status: "partially_refunded" });
    expect(fake.calls("POST", "/v1/refunds").at(-1)?.params).toMatchObject({
      charge,
      amount: "900",
    });
    const over = await api("POST", `/v1/admin/payments/${id}/refund`, {
      token: admin.accessToken,
      body: { amount: 2001 },
    });
    expect(over.status).toBe(400);
    const rest = await api("POST", `/v1/admin/payments/${id}/refund`, {
      token: admin.accessToken,
      body: {},
    });
    expect(rest.body).toMatchObject({ amount_refunded: 2900, status: "refunded" });
    expect(
      (await api("POST", `/v1/admin/payments/${id}/refund`, { token: admin.accessToken, body: {} }))
        .status,
    ).toBe(409);
    expect(
      await count(
        "select count(*) as n from audit_log where action = 'payment.refund' and target_id = ?",
        id,
      ),
    ).toBe(2);
    expect(
      (await api("POST", `/v1/admin/payments/${id}/refund`, { token: user.accessToken, body: {} }))
        .status,
    ).toBe(403);
    const listed = await api<{ data: { id: string }[] }>(
      "GET",
      `/v1/admin/payments?user_id=${user.id}`,
      {
        token: admin.accessToken,
      },
    );
    expect(listed.body.data.map((p) => p.id)).toEqual([id]);
  });
});

describe("webhook pipeline", () => {
  async function deliver(event: Record<string, unknown>) {
    const request = await signedDelivery(event);
    return api("POST", "/v1/webhooks/stripe", { rawBody: request.body, headers: request.headers });
  }

  it("stores an unknown event type once and marks it ignored", async () => {
    const event = stripeEvent("customer.created", { id: "cus_x", object: "customer" });
    expect((await deliver(event)).status).toBe(200);
    expect((await deliver(event)).body).toStrictEqual({ received: true });
    // Both deliveries are queued; storing them keeps one row, which both messages name.
    expect(queued).toHaveLength(2);
    expect(queued[1]).toBe(queued[0]);
    const _db = openDb(env.DB);
    expect(await applyWebhookEvent(testContext(), queued[0] ?? "")).toBe("ignored");
    expect(await applyWebhookEvent(testContext(), queued[0] ?? "")).toBe("skipped");
  });

  it("retries a failing event, dead-letters it as failed, and an admin replays it", async () => {
    const admin = await signupAdmin();
    const user = await subscribed("pro", "dlq");
    // An invoice for a subscription Stripe no longer knows: applying it fails (the fetch 404s).
    const event = stripeEvent("invoice.paid", {
      id: "in_dlq",
      object: "invoice",
      customer: `cus_${user.id}`,
      subscription: "sub_gone",
      charge: "ch_dlq",
      amount_paid: 2900,
      currency: "usd",
      lines: { data: [] },
    });
    await deliver(event);
    const eventId = queued[0] ?? "";
    const batch = createMessageBatch("tollgate-webhook-events", [
      { id: "m1", timestamp: new Date(), attempts: 1, body: { event_id: eventId } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue?.(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(["m1"]);
    const row = await env.DB.prepare(
      "select status, attempts, last_error from webhook_events where id = ?",
    )
      .bind(eventId)
      .first<{ status: string; attempts: number; last_error: string | null }>();
    expect(row).toMatchObject({ status: "pending", attempts: 1 });
    expect(row?.last_error).toBeTruthy();

    const dead = createMessageBatch("tollgate-webhook-events-dlq", [
      { id: "m2", timestamp: new Date(), attempts: 1, body: { event_id: eventId } },
    ]);
    const deadCtx = createExecutionContext();
    await worker.queue?.(dead, env, deadCtx);
    expect((await getQueueResult(dead, deadCtx)).explicitAcks).toEqual(["m2"]);
    const failed = await api<{ data: { id: string; status: string; last_error: string }[] }>(
      "GET",
      "/v1/admin/webhook-events?status=failed",
      { token: admin.accessToken },
    );
    expect(failed.body.data.map((e) => e.id)).toContain(eventId);

    // Stripe knows the subscription now: the replay applies the event.
    fake.addSubscription({
      id: "sub_gone",
      customer: `cus_${user.id}`,
      price: "price_pro_m",
      status: "active",
      metadata: { user_id: user.id },
    });
    queued.length = 0;
    const replay = await api("POST", `/v1/admin/webhook-events/${eventId}/replay`, {
      token: admin.accessToken,
    });
    expect(replay.status).toBe(202);
    expect(queued).toEqual([eventId]);
    expect(
      await applyWebhookEvent(
        { db: openDb(env.DB), env, config: loadConfig(env), now: Date.now() },
        eventId,
      ),
    ).toBe("processed");
    expect(
      await count("select count(*) as n from payments where provider_payment_id = 'ch_dlq'"),
    ).toBe(1);
    expect(
      await count(
        "select count(*) as n from audit_log where action = 'webhook_event.replay' and target_id = ?",
        eventId,
      ),
    ).toBe(1);
    expect(
      (
        await api("POST", "/v1/admin/webhook-events/evt_nothere/replay", {
          token: admin.accessToken,
        })
      ).status,
    ).toBe(404);
  });
});
