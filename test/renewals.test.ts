// The renewals job, run with a controlled clock against D1, the Stripe and PayPal fakes and the
// users' rate limiters: period-end cancellations, scheduled downgrades, re-syncs, manual
// subscriptions and trials, trial reminders; idempotence and bounded runs.
import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { rollForward } from "../src/cron/renewal-manual";
import { RENEWALS_PER_RUN } from "../src/cron/renewals";
import { runJob } from "../src/cron/runner";
import { openDb } from "../src/db";
import { type Subscription, subscriptions } from "../src/db/schema";
import type { Env } from "../src/env";
import worker from "../src/index";
import { newId } from "../src/lib/ids";
import { DAY, HOUR, MINUTE } from "../src/lib/time";
import { clearPayPalTokenCache } from "../src/payments/paypal-client";
import { FakePayPal, type FakeSubscription } from "./fakes/paypal";
import { installFakeStripe } from "./fakes/stripe";
import { api, appEnv, signup, signupAdmin, type TestUser } from "./helpers";

const db = openDb(env.DB);
const handler: ExportedHandler<Env> = worker;

// The wall clock of every test (tokens, the limiter, the fakes) and the job's `now`.
const NOW = Date.UTC(2032, 5, 15, 12, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();
const sec = (ms: number) => Math.floor(ms / 1000);

let mailed: string[];
let ticks = 0;

beforeEach(async () => {
  vi.setSystemTime(NOW);
  ticks = 0;
  clearPayPalTokenCache();
  mailed = [];
  vi.spyOn(appEnv.EMAILS, "sendBatch").mockImplementation(async (messages) => {
    for (const m of messages) mailed.push(m.body.outbox_id);
    return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } };
  });
  // Storage is shared by this file's tests and the job works on whole tables: start clean.
  await env.DB.batch([
    env.DB.prepare("delete from email_outbox"),
    env.DB.prepare("delete from coupon_redemptions"),
    env.DB.prepare("delete from payments"),
    env.DB.prepare("delete from subscriptions"),
    env.DB.prepare("delete from job_runs"),
    env.DB.prepare(
      "update plans set stripe_price_month = 'price_basic_m', stripe_price_year = 'price_basic_y', paypal_plan_month = 'P-BASIC-MONTH', paypal_plan_year = 'P-BASIC-YEAR' where id = 'pln_basic'",
    ),
    env.DB.prepare(
      "update plans set stripe_price_month = 'price_pro_m', stripe_price_year = 'price_pro_y', paypal_plan_month = 'P-PRO-MONTH', paypal_plan_year = 'P-PRO-YEAR' where id = 'pln_pro'",
    ),
  ]);
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

// ---- helpers ---------------------------------------------------------------------------------

type SubscriptionFields = Partial<typeof subscriptions.$inferInsert>;

async function insertSubscription(userId: string, fields: SubscriptionFields): Promise<string> {
  const id = fields.id ?? newId("sub");
  await db.insert(subscriptions).values({
    id,
    userId,
    planId: "pln_pro",
    interval: "month",
    status: "active",
    provider: "manual",
    createdAt: NOW - 90 * DAY,
    updatedAt: NOW - 90 * DAY,
    ...fields,
  });
  return id;
}

async function row(id: string): Promise<Subscription> {
  const found = await db.query.subscriptions.findFirst({ where: eq(subscriptions.id, id) });
  if (!found) throw new Error(`no subscription ${id}`);
  return found;
}

/** A user row without the sign-up round trip (for runs over many subscriptions). */
async function insertUser(): Promise<string> {
  const id = newId("usr");
  await env.DB.prepare(
    `insert into users (id, email, role, status, password_hash, settings, created_at, updated_at)
     values (?, ?, 'user', 'active', 'pbkdf2_sha256$100000$x$y', '{}', ?, ?)`,
  )
    .bind(id, `${id}@example.test`, NOW - 90 * DAY, NOW - 90 * DAY)
    .run();
  return id;
}

/** Many rows at once: one insert each (D1 binds at most 100 parameters per statement). */
async function insertMany(rows: (typeof subscriptions.$inferInsert)[]): Promise<void> {
  const [first, ...rest] = rows.map((values) => db.insert(subscriptions).values(values));
  if (first) await db.batch([first, ...rest]);
}

/** Runs the job as an admin would at `at`; answers the counts that are not zero. */
async function renewals(at = NOW): Promise<Record<string, number>> {
  // The runner resumes from the run that started last (by the wall clock): keep it moving.
  ticks += 1;
  vi.setSystemTime(NOW + ticks);
  const run = await runJob(env, "renewals", "admin", at);
  expect(run.status, run.error ?? "").toBe("ok");
  return Object.fromEntries(Object.entries(run.counts).filter(([, n]) => n !== 0));
}

interface Ping {
  standing: string;
  windows: Record<"minute" | "month", { limit: number | null; reset_at: string }>;
}

async function ping(user: TestUser) {
  return api<Ping>("GET", "/v1/ping", { token: user.accessToken });
}

async function minuteLimit(user: TestUser): Promise<number | null> {
  const res = await ping(user);
  expect(res.status, res.text).toBe(200);
  return res.body.windows.minute.limit;
}

const PRO_MINUTE = 200;
const BASIC_MINUTE = 60;
const FREE_MINUTE = 20;

function fakePayPalSubscription(
  paypal: FakePayPal,
  fields: Partial<FakeSubscription> & { plan_id: string },
): FakeSubscription {
  const id = `I-${crypto.randomUUID().replaceAll("-", "").slice(0, 12).toUpperCase()}`;
  const sub: FakeSubscription = {
    id,
    status: "ACTIVE",
    status_update_time: iso(NOW - 60 * DAY),
    start_time: iso(NOW - 60 * DAY),
    create_time: iso(NOW - 60 * DAY),
    update_time: iso(NOW - 60 * DAY),
    links: [],
    ...fields,
  };
  paypal.subscriptions.set(id, sub);
  return sub;
}

// ---- cancel at the period end ----------------------------------------------------------------

describe("cancel at the period end", () => {
  it("ends a Stripe subscription at its period end, puts the user on free limits, once", async () => {
    const stripe = installFakeStripe();
    const user = await signup("cancel");
    const end = NOW - HOUR;
    const remote = stripe.addSubscription({
      customer: `cus_${user.id}`,
      price: "price_pro_m",
      periodStart: sec(end - 30 * DAY),
      periodEnd: sec(end),
      cancelAtPeriodEnd: true,
    });
    const id = await insertSubscription(user.id, {
      provider: "stripe",
      providerSubscriptionId: remote.id as string,
      cancelAtPeriodEnd: true,
      cancelReason: "too expensive",
      currentPeriodStart: end - 30 * DAY,
      currentPeriodEnd: end,
      providerStateAt: end - 10 * DAY,
    });
    // Not yet: a minute before the period end nothing happens.
    expect(await renewals(end - MINUTE)).toStrictEqual({});
    expect(await minuteLimit(user)).toBe(PRO_MINUTE);

    expect(await renewals()).toStrictEqual({ canceled: 1 });
    const after = await row(id);
    expect(after).toMatchObject({
      status: "canceled",
      endedAt: end,
      canceledAt: end,
      standing: "good",
      cancelAtPeriodEnd: true,
      updatedAt: NOW,
    });
    // Stripe ends it by itself: nothing was asked of it.
    expect(stripe.requests).toHaveLength(0);
    // The limiter was told: the next request has the free plan's limits.
    expect(await minuteLimit(user)).toBe(FREE_MINUTE);
    expect((await api("GET", "/v1/subscription", { token: user.accessToken })).body).toStrictEqual({
      subscription: null,
    });

    // Twice is once.
    expect(await renewals(NOW + 10 * MINUTE)).toStrictEqual({});
    expect(await row(id)).toStrictEqual(after);
  });

  it("cancels at PayPal first (it was never told), and only once", async () => {
    const paypal = new FakePayPal().install();
    paypal.now = iso(NOW);
    const user = await signup("ppcancel");
    const end = NOW - 20 * MINUTE;
    const remote = fakePayPalSubscription(paypal, {
      plan_id: "P-PRO-MONTH",
      billing_info: { failed_payments_count: 0, next_billing_time: iso(end) },
    });
    const id = await insertSubscription(user.id, {
      provider: "paypal",
      providerSubscriptionId: remote.id,
      cancelAtPeriodEnd: true,
      currentPeriodStart: end - 30 * DAY,
      currentPeriodEnd: end,
    });
    const cancelPath = `/v1/billing/subscriptions/${remote.id}/cancel`;

    // PayPal fails: nothing changes here (PayPal would go on billing), the next run retries.
    paypal.failNext(
      "POST",
      cancelPath,
      () =>
        new Response(JSON.stringify({ name: "INTERNAL_SERVER_ERROR", debug_id: "x" }), {
          status: 500,
          headers: { "content-type": "application/json" },
        }),
    );
    expect(await renewals()).toStrictEqual({ failed: 1 });
    expect((await row(id)).status).toBe("active");
    expect(await minuteLimit(user)).toBe(PRO_MINUTE);

    expect(await renewals(NOW + 10 * MINUTE)).toStrictEqual({ canceled: 1 });
    expect(paypal.callsTo("POST", cancelPath)).toHaveLength(2);
    expect(paypal.callsTo("POST", cancelPath)[1]?.body).toStrictEqual({
      reason: "Canceled at the end of the billing period",
    });
    expect(paypal.subscription(remote.id).status).toBe("CANCELLED");
    expect(await row(id)).toMatchObject({ status: "canceled", endedAt: end });
    expect(await minuteLimit(user)).toBe(FREE_MINUTE);

    expect(await renewals(NOW + 20 * MINUTE)).toStrictEqual({});
    expect(paypal.callsTo("POST", cancelPath)).toHaveLength(2);
  });

  it("ends a manual subscription at its period end instead of renewing it", async () => {
    const user = await signup("mcancel");
    const id = await insertSubscription(user.id, {
      cancelAtPeriodEnd: true,
      currentPeriodStart: NOW - 31 * DAY,
      currentPeriodEnd: NOW - DAY,
    });
    expect(await renewals()).toStrictEqual({ canceled: 1 });
    expect(await row(id)).toMatchObject({ status: "canceled", endedAt: NOW - DAY });
    expect(await minuteLimit(user)).toBe(FREE_MINUTE);
  });
});

// ---- scheduled downgrades --------------------------------------------------------------------

describe("scheduled downgrades", () => {
  it("applies a Stripe downgrade at the period end without asking Stripe to change anything, once", async () => {
    const stripe = installFakeStripe();
    const user = await signup("down");
    const end = NOW - 10 * MINUTE;
    // Stripe's schedule put Basic's price on the subscription at the renewal.
    const remote = stripe.addSubscription({
      customer: `cus_${user.id}`,
      price: "price_basic_m",
      periodStart: sec(end),
      periodEnd: sec(end + 30 * DAY),
    });
    const stripeId = remote.id as string;
    const id = await insertSubscription(user.id, {
      provider: "stripe",
      providerSubscriptionId: stripeId,
      scheduledPlanId: "pln_basic",
      scheduledInterval: "month",
      currentPeriodStart: end - 30 * DAY,
      currentPeriodEnd: end,
      providerStateAt: end - 30 * DAY,
    });
    expect(await minuteLimit(user)).toBe(PRO_MINUTE);

    expect(await renewals()).toStrictEqual({ downgraded: 1 });
    // The change was arranged when it was asked for: the job only reads Stripe's state.
    expect(stripe.calls("POST", `/v1/subscriptions/${stripeId}`)).toHaveLength(0);
    expect(stripe.calls("GET", `/v1/subscriptions/${stripeId}`)).toHaveLength(1);
    expect(await row(id)).toMatchObject({
      planId: "pln_basic",
      interval: "month",
      scheduledPlanId: null,
      scheduledInterval: null,
      status: "active",
      currentPeriodEnd: end + 30 * DAY,
    });
    // Stripe's state, fetched after the change, is stamped with the time it was fetched.
    expect((await row(id)).providerStateAt).toBeGreaterThanOrEqual(NOW);
    expect(await minuteLimit(user)).toBe(BASIC_MINUTE);
    const shown = await api<{ subscription: { plan: { code: string }; scheduled_change: null } }>(
      "GET",
      "/v1/subscription",
      { token: user.accessToken },
    );
    expect(shown.body.subscription).toMatchObject({
      plan: { code: "basic" },
      scheduled_change: null,
    });

    const requests = stripe.requests.length;
    expect(await renewals(NOW + 10 * MINUTE)).toStrictEqual({});
    expect(stripe.requests).toHaveLength(requests);
  });

  it("applies a PayPal downgrade (revised when it was asked for) at the period end", async () => {
    const paypal = new FakePayPal().install();
    const user = await signup("ppdown");
    const end = NOW - 5 * MINUTE;
    const remote = fakePayPalSubscription(paypal, {
      plan_id: "P-BASIC-MONTH",
      billing_info: { failed_payments_count: 0, next_billing_time: iso(end + 30 * DAY) },
    });
    const id = await insertSubscription(user.id, {
      provider: "paypal",
      providerSubscriptionId: remote.id,
      interval: "year",
      scheduledPlanId: "pln_basic",
      scheduledInterval: "month",
      currentPeriodStart: end - 365 * DAY,
      currentPeriodEnd: end,
    });
    expect(await renewals()).toStrictEqual({ downgraded: 1 });
    expect(paypal.callsTo("POST", /\/revise$/)).toHaveLength(0);
    expect(await row(id)).toMatchObject({
      planId: "pln_basic",
      interval: "month",
      scheduledPlanId: null,
    });
    expect(await minuteLimit(user)).toBe(BASIC_MINUTE);
    expect(await renewals(NOW + MINUTE)).toStrictEqual({});
    expect(paypal.callsTo("POST", /\/revise$/)).toHaveLength(0);
  });

  it("leaves a downgrade scheduled until the period ends", async () => {
    const stripe = installFakeStripe();
    const user = await signup("early");
    const id = await insertSubscription(user.id, {
      provider: "stripe",
      providerSubscriptionId: "sub_not_called",
      scheduledPlanId: "pln_basic",
      scheduledInterval: "month",
      currentPeriodStart: NOW - 20 * DAY,
      currentPeriodEnd: NOW + DAY,
    });
    expect(await renewals()).toStrictEqual({});
    expect((await row(id)).scheduledPlanId).toBe("pln_basic");
    expect(stripe.requests).toHaveLength(0);
  });
});

// ---- re-syncs --------------------------------------------------------------------------------

describe("re-sync when no renewal event came", () => {
  it("re-syncs a Stripe subscription only after RENEWAL_RESYNC_HOURS past its period end", async () => {
    const stripe = installFakeStripe();
    const late = await signup("late");
    const recent = await signup("recent");
    const lateEnd = NOW - 7 * HOUR;
    const recentEnd = NOW - 5 * HOUR;
    const lateRemote = stripe.addSubscription({
      customer: "cus_late",
      price: "price_pro_m",
      // Stripe renewed it; the event was lost.
      periodStart: sec(lateEnd),
      periodEnd: sec(lateEnd + 30 * DAY),
    });
    const recentRemote = stripe.addSubscription({
      customer: "cus_recent",
      price: "price_pro_m",
      periodStart: sec(recentEnd),
      periodEnd: sec(recentEnd + 30 * DAY),
    });
    const lateId = await insertSubscription(late.id, {
      provider: "stripe",
      providerSubscriptionId: lateRemote.id as string,
      currentPeriodStart: lateEnd - 30 * DAY,
      currentPeriodEnd: lateEnd,
      providerStateAt: lateEnd - 30 * DAY,
    });
    const recentId = await insertSubscription(recent.id, {
      provider: "stripe",
      providerSubscriptionId: recentRemote.id as string,
      currentPeriodStart: recentEnd - 30 * DAY,
      currentPeriodEnd: recentEnd,
      providerStateAt: recentEnd - 30 * DAY,
    });

    expect(await renewals()).toStrictEqual({ resynced: 1 });
    expect(stripe.calls("GET", `/v1/subscriptions/${lateRemote.id}`)).toHaveLength(1);
    expect(stripe.calls("GET", `/v1/subscriptions/${recentRemote.id}`)).toHaveLength(0);
    expect(await row(lateId)).toMatchObject({
      status: "active",
      planId: "pln_pro",
      currentPeriodStart: lateEnd,
      currentPeriodEnd: lateEnd + 30 * DAY,
    });
    expect((await row(recentId)).currentPeriodEnd).toBe(recentEnd);
    // The month window follows the new period.
    expect((await ping(late)).body.windows.month.reset_at).toBe(iso(lateEnd + 30 * DAY));

    // Twice is once; two hours later the other one is past its grace period too.
    expect(await renewals(NOW + 10 * MINUTE)).toStrictEqual({});
    expect(await renewals(NOW + 2 * HOUR)).toStrictEqual({ resynced: 1 });
    expect(stripe.calls("GET", `/v1/subscriptions/${lateRemote.id}`)).toHaveLength(1);
    expect((await row(recentId)).currentPeriodEnd).toBe(recentEnd + 30 * DAY);
  });

  it("ends the subscription when Stripe says it ended, and drops the user to free", async () => {
    const stripe = installFakeStripe();
    const user = await signup("gone");
    const end = NOW - 8 * HOUR;
    const remote = stripe.addSubscription({
      customer: "cus_gone",
      price: "price_pro_m",
      status: "canceled",
      canceledAt: sec(end),
      periodStart: sec(end - 30 * DAY),
      periodEnd: sec(end),
    });
    const id = await insertSubscription(user.id, {
      provider: "stripe",
      providerSubscriptionId: remote.id as string,
      currentPeriodStart: end - 30 * DAY,
      currentPeriodEnd: end,
    });
    expect(await minuteLimit(user)).toBe(PRO_MINUTE);
    expect(await renewals()).toStrictEqual({ resynced: 1, ended_by_provider: 1 });
    expect(await row(id)).toMatchObject({ status: "canceled", endedAt: NOW, canceledAt: end });
    expect(await minuteLimit(user)).toBe(FREE_MINUTE);
    expect(await renewals(NOW + 7 * HOUR)).toStrictEqual({});
  });

  it("asks again no sooner than RENEWAL_RESYNC_HOURS when the provider has not renewed yet", async () => {
    const stripe = installFakeStripe();
    const user = await signup("stuck");
    const end = NOW - 7 * HOUR;
    const remote = stripe.addSubscription({
      customer: "cus_stuck",
      price: "price_pro_m",
      periodStart: sec(end - 30 * DAY),
      periodEnd: sec(end),
    });
    await insertSubscription(user.id, {
      provider: "stripe",
      providerSubscriptionId: remote.id as string,
      currentPeriodStart: end - 30 * DAY,
      currentPeriodEnd: end,
    });
    const path = `/v1/subscriptions/${remote.id}`;
    expect(await renewals()).toStrictEqual({ resynced: 1 });
    expect(await renewals(NOW + HOUR)).toStrictEqual({});
    expect(await renewals(NOW + 5 * HOUR)).toStrictEqual({});
    expect(stripe.calls("GET", path)).toHaveLength(1);
    // (Stripe's state is stamped with the wall clock of the fetch, a moment after the run's now.)
    expect(await renewals(NOW + 6 * HOUR + MINUTE)).toStrictEqual({ resynced: 1 });
    expect(stripe.calls("GET", path)).toHaveLength(2);
  });

  it("applies PayPal's renewed period even though its status time is older than the last event", async () => {
    const paypal = new FakePayPal().install();
    const user = await signup("pprenew");
    const end = NOW - 7 * HOUR;
    // Activated 30 days before `end`; its status has not changed since, only the billing time.
    const remote = fakePayPalSubscription(paypal, {
      plan_id: "P-PRO-MONTH",
      status_update_time: iso(end - 30 * DAY),
      billing_info: {
        failed_payments_count: 0,
        next_billing_time: iso(end + 30 * DAY),
        last_payment: { amount: { currency_code: "USD", value: "29.00" }, time: iso(end) },
      },
    });
    const id = await insertSubscription(user.id, {
      provider: "paypal",
      providerSubscriptionId: remote.id,
      currentPeriodStart: end - 30 * DAY,
      currentPeriodEnd: end,
      // The ACTIVATED event came a little after PayPal's status time.
      providerStateAt: end - 30 * DAY + MINUTE,
    });
    expect(await renewals()).toStrictEqual({ resynced: 1 });
    expect(await row(id)).toMatchObject({
      status: "active",
      currentPeriodStart: end,
      currentPeriodEnd: end + 30 * DAY,
      providerStateAt: NOW,
    });
    expect(await renewals(NOW + MINUTE)).toStrictEqual({});
  });

  it("lets an event applied while it was asking the provider win", async () => {
    const stripe = installFakeStripe();
    const user = await signup("race");
    const end = NOW - 7 * HOUR;
    const remote = stripe.addSubscription({
      customer: "cus_race",
      price: "price_pro_m",
      status: "canceled",
      periodStart: sec(end - 30 * DAY),
      periodEnd: sec(end),
    });
    const id = await insertSubscription(user.id, {
      provider: "stripe",
      providerSubscriptionId: remote.id as string,
      currentPeriodStart: end - 30 * DAY,
      currentPeriodEnd: end,
    });
    // While Stripe answers, a (newer) renewal event is applied.
    stripe.spy?.mockImplementationOnce(async (input, init) => {
      await env.DB.prepare(
        "update subscriptions set current_period_start = ?, current_period_end = ?, provider_state_at = ?, updated_at = ? where id = ?",
      )
        .bind(end, end + 30 * DAY, NOW + HOUR, NOW, id)
        .run();
      return stripe.handle(new Request(input, init));
    });
    expect(await renewals()).toStrictEqual({ skipped: 1 });
    expect(await row(id)).toMatchObject({ status: "active", currentPeriodEnd: end + 30 * DAY });
  });

  it("counts a provider failure and goes on with the others", async () => {
    const stripe = installFakeStripe();
    const broken = await signup("broken");
    const fine = await signup("fine");
    const end = NOW - 7 * HOUR;
    const brokenId = await insertSubscription(broken.id, {
      id: "sub_0000000000000000broken",
      provider: "stripe",
      providerSubscriptionId: "sub_missing_at_stripe",
      currentPeriodStart: end - 30 * DAY,
      currentPeriodEnd: end,
    });
    const remote = stripe.addSubscription({
      customer: "cus_fine",
      price: "price_pro_m",
      periodStart: sec(end),
      periodEnd: sec(end + 30 * DAY),
    });
    await insertSubscription(fine.id, {
      provider: "stripe",
      providerSubscriptionId: remote.id as string,
      currentPeriodStart: end - 30 * DAY,
      currentPeriodEnd: end,
    });
    expect(await renewals()).toStrictEqual({ resynced: 1, failed: 1 });
    expect(await row(brokenId)).toMatchObject({ status: "active", currentPeriodEnd: end });
  });
});

// ---- manual subscriptions --------------------------------------------------------------------

describe("manual subscriptions", () => {
  it("rolls the period forward by whole intervals past now, with the limiter's month window", async () => {
    const user = await signup("manual");
    const start = Date.UTC(2032, 2, 1);
    const end = Date.UTC(2032, 2, 31);
    const monthly = await insertSubscription(user.id, {
      currentPeriodStart: start,
      currentPeriodEnd: end,
    });
    const other = await insertUser();
    const yearly = await insertSubscription(other, {
      interval: "year",
      currentPeriodStart: Date.UTC(2029, 1, 28),
      currentPeriodEnd: Date.UTC(2030, 1, 28),
    });
    // The limiter's month follows the old anchor (1 March): this month ends on 1 July.
    expect((await ping(user)).body.windows.month.reset_at).toBe(iso(Date.UTC(2032, 6, 1)));

    expect(await renewals()).toStrictEqual({ renewed: 2 });
    // 31 Mar → 30 Apr → 31 May (≤ now) → 30 Jun (> now).
    expect(await row(monthly)).toMatchObject({
      status: "active",
      currentPeriodStart: Date.UTC(2032, 4, 31),
      currentPeriodEnd: Date.UTC(2032, 5, 30),
    });
    expect(await row(yearly)).toMatchObject({
      currentPeriodStart: Date.UTC(2032, 1, 28),
      currentPeriodEnd: Date.UTC(2033, 1, 28),
    });
    expect((await ping(user)).body.windows.month.reset_at).toBe(iso(Date.UTC(2032, 5, 30)));
    expect(await minuteLimit(user)).toBe(PRO_MINUTE);

    expect(await renewals(NOW + HOUR)).toStrictEqual({});
    // At the new period end it renews again, back on the 31st it renews on (no drift).
    expect(await renewals(Date.UTC(2032, 5, 30))).toStrictEqual({ renewed: 1 });
    expect(await row(monthly)).toMatchObject({
      currentPeriodStart: Date.UTC(2032, 5, 30),
      currentPeriodEnd: Date.UTC(2032, 6, 31),
      billingAnchorDay: 31,
    });
  });

  it("applies a manual downgrade with the renewal, and leaves past-due or paused ones alone", async () => {
    const user = await signup("mdown");
    const end = NOW - HOUR;
    const id = await insertSubscription(user.id, {
      scheduledPlanId: "pln_basic",
      scheduledInterval: "year",
      currentPeriodStart: end - 30 * DAY,
      currentPeriodEnd: end,
    });
    const pastDue = await insertSubscription(await insertUser(), {
      status: "past_due",
      currentPeriodStart: end - 30 * DAY,
      currentPeriodEnd: end,
    });
    const paused = await insertSubscription(await insertUser(), {
      status: "paused",
      currentPeriodStart: end - 30 * DAY,
      currentPeriodEnd: end,
    });
    expect(await renewals()).toStrictEqual({ downgraded: 1, renewed: 1 });
    expect(await row(id)).toMatchObject({
      planId: "pln_basic",
      interval: "year",
      scheduledPlanId: null,
      currentPeriodStart: end,
      currentPeriodEnd: Date.UTC(2033, 5, 15, 11),
    });
    expect(await minuteLimit(user)).toBe(BASIC_MINUTE);
    expect((await row(pastDue)).currentPeriodEnd).toBe(end);
    expect((await row(paused)).currentPeriodEnd).toBe(end);
  });

  it("rollForward counts whole intervals from the anchor", () => {
    const anchor = Date.UTC(2030, 0, 31);
    expect(rollForward(anchor, "month", anchor)).toStrictEqual({
      start: anchor,
      end: Date.UTC(2030, 1, 28),
    });
    expect(rollForward(anchor, "month", Date.UTC(2031, 2, 30))).toStrictEqual({
      start: Date.UTC(2031, 1, 28),
      end: Date.UTC(2031, 2, 31),
    });
    expect(rollForward(anchor, "year", Date.UTC(2035, 0, 31))).toStrictEqual({
      start: Date.UTC(2035, 0, 31),
      end: Date.UTC(2036, 0, 31),
    });
  });
});

// ---- trials ----------------------------------------------------------------------------------

describe("trials", () => {
  it("makes an ended manual trial active from its end", async () => {
    const user = await signup("mtrial");
    const trialEnd = NOW - HOUR;
    const id = await insertSubscription(user.id, {
      status: "trialing",
      trialEnd,
      currentPeriodStart: trialEnd - 14 * DAY,
      currentPeriodEnd: trialEnd,
    });
    const running = await insertSubscription(await insertUser(), {
      status: "trialing",
      trialEnd: NOW + 5 * DAY,
      currentPeriodStart: NOW - 9 * DAY,
      currentPeriodEnd: NOW + 5 * DAY,
    });
    expect(await renewals()).toStrictEqual({ trials_activated: 1 });
    expect(await row(id)).toMatchObject({
      status: "active",
      trialEnd,
      currentPeriodStart: trialEnd,
      currentPeriodEnd: Date.UTC(2032, 6, 15, 11),
    });
    expect((await ping(user)).body.windows.month.reset_at).toBe(iso(Date.UTC(2032, 6, 15, 11)));
    expect((await row(running)).status).toBe("trialing");
    expect(await renewals(NOW + MINUTE)).toStrictEqual({});
  });

  it("re-syncs an ended Stripe trial: the provider decides active or expired", async () => {
    const stripe = installFakeStripe();
    const paid = await signup("trialpaid");
    const lapsed = await signup("triallapsed");
    const trialEnd = NOW - 7 * HOUR;
    const paidRemote = stripe.addSubscription({
      customer: "cus_paid",
      price: "price_pro_m",
      status: "active",
      trialEnd: sec(trialEnd),
      periodStart: sec(trialEnd),
      periodEnd: sec(trialEnd + 30 * DAY),
    });
    const lapsedRemote = stripe.addSubscription({
      customer: "cus_lapsed",
      price: "price_pro_m",
      status: "incomplete_expired",
      trialEnd: sec(trialEnd),
      periodStart: sec(trialEnd - 14 * DAY),
      periodEnd: sec(trialEnd),
    });
    const trialing = {
      provider: "stripe" as const,
      status: "trialing" as const,
      trialEnd,
      currentPeriodStart: trialEnd - 14 * DAY,
      currentPeriodEnd: trialEnd,
    };
    const paidId = await insertSubscription(paid.id, {
      ...trialing,
      providerSubscriptionId: paidRemote.id as string,
    });
    const lapsedId = await insertSubscription(lapsed.id, {
      ...trialing,
      providerSubscriptionId: lapsedRemote.id as string,
    });
    expect(await minuteLimit(lapsed)).toBe(PRO_MINUTE);
    expect(await renewals()).toStrictEqual({ resynced: 2, ended_by_provider: 1 });
    expect(await row(paidId)).toMatchObject({
      status: "active",
      currentPeriodEnd: trialEnd + 30 * DAY,
    });
    expect(await row(lapsedId)).toMatchObject({ status: "expired", endedAt: NOW });
    expect(await minuteLimit(paid)).toBe(PRO_MINUTE);
    expect(await minuteLimit(lapsed)).toBe(FREE_MINUTE);
  });

  it("leaves a Stripe trial alone while its events may still come", async () => {
    const stripe = installFakeStripe();
    const user = await signup("trialwait");
    const id = await insertSubscription(user.id, {
      provider: "stripe",
      providerSubscriptionId: "sub_trial_wait",
      status: "trialing",
      trialEnd: NOW - HOUR,
      currentPeriodStart: NOW - 14 * DAY,
      currentPeriodEnd: NOW - HOUR,
    });
    expect(await renewals()).toStrictEqual({});
    expect((await row(id)).status).toBe("trialing");
    expect(stripe.requests).toHaveLength(0);
  });

  it("emails trial_ending once, 3 days ahead, for PayPal and manual trials only", async () => {
    const paypalUser = await signup("ppt");
    const manualUser = await signup("mt");
    const againUser = await signup("again");
    const trial = (trialEnd: number, fields: SubscriptionFields = {}): SubscriptionFields => ({
      status: "trialing",
      trialEnd,
      currentPeriodStart: trialEnd - 14 * DAY,
      currentPeriodEnd: trialEnd,
      ...fields,
    });
    await insertSubscription(
      paypalUser.id,
      trial(NOW + 2 * DAY, { provider: "paypal", providerSubscriptionId: "I-TRIAL" }),
    );
    await insertSubscription(manualUser.id, trial(NOW + 3 * DAY, { planId: "pln_basic" }));
    // An earlier trial's reminder does not count for this one.
    await insertSubscription(againUser.id, trial(NOW + DAY));
    await env.DB.prepare(
      "insert into email_outbox (id, user_id, to_address, template, subject, text_body, status, created_at) values ('eml_old', ?, ?, 'trial_ending', 's', 't', 'sent', ?)",
    )
      .bind(againUser.id, againUser.email, NOW - 100 * DAY)
      .run();
    // None of these: Stripe emails itself, too early, canceling, an inactive user.
    await insertSubscription(
      await insertUser(),
      trial(NOW + 2 * DAY, { provider: "stripe", providerSubscriptionId: "sub_t" }),
    );
    await insertSubscription(await insertUser(), trial(NOW + 3 * DAY + 2 * HOUR));
    await insertSubscription(await insertUser(), trial(NOW + DAY, { cancelAtPeriodEnd: true }));
    const disabled = await insertUser();
    await env.DB.prepare("update users set status = 'disabled' where id = ?").bind(disabled).run();
    await insertSubscription(disabled, trial(NOW + DAY));

    // Sign-up emails went out: from here on only this job's count.
    mailed.length = 0;
    expect(await renewals()).toStrictEqual({ trial_reminders: 3 });
    const { results } = await env.DB.prepare(
      "select id, user_id, to_address, subject, text_body, status from email_outbox where template = 'trial_ending' and id != 'eml_old' order by to_address",
    ).all<{ id: string; user_id: string; to_address: string; text_body: string; status: string }>();
    expect(results.map((r) => r.user_id).sort()).toStrictEqual(
      [paypalUser.id, manualUser.id, againUser.id].sort(),
    );
    expect(results.every((r) => r.status === "pending")).toBe(true);
    const manualEmail = results.find((r) => r.user_id === manualUser.id);
    expect(manualEmail?.to_address).toBe(manualUser.email);
    expect(manualEmail?.text_body).toContain("Basic trial ends on 2032-06-18");
    expect(mailed.sort()).toStrictEqual(results.map((r) => r.id).sort());

    // Once: later runs (even a day later) write nothing more.
    expect(await renewals(NOW + 10 * MINUTE)).toStrictEqual({});
    expect(await renewals(NOW + HOUR)).toStrictEqual({});
    expect(mailed).toHaveLength(3);
    // The one two hours too early is due by then; the others are still not sent again.
    expect(await renewals(NOW + 2 * HOUR)).toStrictEqual({ trial_reminders: 1 });
    expect(await renewals(NOW + 3 * HOUR)).toStrictEqual({});
    expect(mailed).toHaveLength(4);
  });
});

// ---- bounded runs and the ways in ------------------------------------------------------------

describe("bounded runs", () => {
  it(`changes at most ${RENEWALS_PER_RUN} subscriptions per run; the next run goes on`, async () => {
    const total = RENEWALS_PER_RUN + 5;
    const users = await Promise.all(Array.from({ length: total }, () => insertUser()));
    await insertMany(
      users.map((userId) => ({
        id: newId("sub"),
        userId,
        planId: "pln_pro",
        interval: "month" as const,
        status: "active" as const,
        provider: "manual" as const,
        currentPeriodStart: NOW - 31 * DAY,
        currentPeriodEnd: NOW - DAY,
        createdAt: NOW - 31 * DAY,
        updatedAt: NOW - 31 * DAY,
      })),
    );
    expect(await renewals()).toStrictEqual({ renewed: RENEWALS_PER_RUN });
    expect(await renewals(NOW + MINUTE)).toStrictEqual({ renewed: 5 });
    expect(await renewals(NOW + 2 * MINUTE)).toStrictEqual({});
    const stale = await env.DB.prepare(
      "select count(*) as n from subscriptions where current_period_end <= ?",
    )
      .bind(NOW)
      .first<{ n: number }>();
    expect(stale?.n).toBe(0);
  }, 60_000);

  it("resumes after the last subscription seen, so failing ones never hold up the rest", async () => {
    const stripe = installFakeStripe();
    const end = NOW - 7 * HOUR;
    const users = await Promise.all(
      Array.from({ length: RENEWALS_PER_RUN + 1 }, () => insertUser()),
    );
    // A full batch of subscriptions Stripe does not know (every re-sync fails), ordered first.
    await insertMany(
      users.slice(0, RENEWALS_PER_RUN).map((userId, i) => ({
        id: `sub_0${String(i).padStart(5, "0")}`,
        userId,
        planId: "pln_pro",
        interval: "month" as const,
        status: "active" as const,
        provider: "stripe" as const,
        providerSubscriptionId: `sub_unknown_${i}`,
        currentPeriodStart: end - 30 * DAY,
        currentPeriodEnd: end,
        createdAt: end - 30 * DAY,
        updatedAt: end - 30 * DAY,
      })),
    );
    const last = users.at(-1) as string;
    const manual = await insertSubscription(last, {
      id: "sub_zzzzzz",
      currentPeriodStart: NOW - 31 * DAY,
      currentPeriodEnd: NOW - DAY,
    });
    expect(await renewals()).toStrictEqual({ failed: RENEWALS_PER_RUN });
    expect(await renewals(NOW + MINUTE)).toStrictEqual({ renewed: 1 });
    expect((await row(manual)).currentPeriodEnd).toBeGreaterThan(NOW);
    // From the start again: the failing ones are retried.
    expect(await renewals(NOW + 2 * MINUTE)).toStrictEqual({ failed: RENEWALS_PER_RUN });
    expect(stripe.requests.filter((r) => r.method === "GET")).toHaveLength(2 * RENEWALS_PER_RUN);
  }, 60_000);
});

describe("the ways in", () => {
  it("runs from the */10 cron with the scheduled time, and from the admin route", async () => {
    const user = await signup("cron");
    const id = await insertSubscription(user.id, {
      currentPeriodStart: NOW - 31 * DAY,
      currentPeriodEnd: NOW - DAY,
    });
    // An hour before the period end (scheduled time, not the wall clock): nothing to do.
    await handler.scheduled?.(
      createScheduledController({ cron: "*/10 * * * *", scheduledTime: NOW - DAY - HOUR }),
      env,
      createExecutionContext(),
    );
    expect((await row(id)).currentPeriodEnd).toBe(NOW - DAY);
    await handler.scheduled?.(
      createScheduledController({ cron: "*/10 * * * *", scheduledTime: NOW }),
      env,
      createExecutionContext(),
    );
    expect((await row(id)).currentPeriodEnd).toBe(Date.UTC(2032, 6, 14, 12));
    const runs = await env.DB.prepare(
      "select trigger, status, counts from job_runs where job = 'renewals' order by run_at",
    ).all<{ trigger: string; status: string; counts: string }>();
    expect(runs.results.map((r) => [r.trigger, r.status])).toStrictEqual([
      ["cron", "ok"],
      ["cron", "ok"],
    ]);
    expect(JSON.parse(runs.results[1]?.counts ?? "{}")).toMatchObject({ renewed: 1 });

    const second = await insertSubscription(await insertUser(), {
      currentPeriodStart: NOW - 31 * DAY,
      currentPeriodEnd: NOW - HOUR,
    });
    const admin = await signupAdmin();
    const res = await api<{ status: string; counts: Record<string, number> }>(
      "POST",
      "/v1/admin/jobs/renewals/run",
      { token: admin.accessToken },
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body.status).toBe("ok");
    expect(res.body.counts).toMatchObject({ renewed: 1, canceled: 0, resynced: 0 });
    expect((await row(second)).currentPeriodEnd).toBeGreaterThan(NOW);
    const forbidden = await api("POST", "/v1/admin/jobs/renewals/run", {
      token: user.accessToken,
    });
    expect(forbidden.status).toBe(403);
  });
});
