// Downgrades never bill an extra period at the old price: they are arranged at the provider when
// asked for (a Stripe subscription schedule, a PayPal revision), the paid-for plan's limits hold
// until the period end, and the renewal (event or renewals job) moves the subscription. Manual
// subscriptions renew on their billing anchor day without drifting.
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runJob } from "../src/cron/runner";
import { DAY, MINUTE } from "../src/lib/time";
import { clearPayPalTokenCache } from "../src/payments/paypal";
import type { FakePayPal } from "./fakes/paypal";
import { type FakeStripe, stripeEvent } from "./fakes/stripe";
import { api, login, signup, type TestUser } from "./helpers";
import {
  BASIC_MINUTE,
  insertSubscription,
  installFakes,
  iso,
  limitsOf,
  minutePolicy,
  PRO_MINUTE,
  paypalSubscription,
  receivePayPal,
  receiveStripe,
  setUpBilling,
  showSubscription,
  stripeSubscription,
  subscriptionRow,
} from "./money-helpers";

const T0 = Date.UTC(2032, 2, 1);
const END = Date.UTC(2032, 3, 1);
const NOW = T0 + 10 * DAY;

let stripe: FakeStripe;
let paypal: FakePayPal;

beforeEach(async () => {
  vi.setSystemTime(NOW);
  clearPayPalTokenCache();
  ({ stripe, paypal } = installFakes());
  await setUpBilling();
  // The renewals job works on whole tables, shared by this file's tests: start clean.
  await env.DB.batch([
    env.DB.prepare("delete from payments"),
    env.DB.prepare("delete from subscriptions"),
    env.DB.prepare(
      "update plans set stripe_price_month = 'price_ent_m', stripe_price_year = 'price_ent_y' where id = 'pln_enterprise'",
    ),
  ]);
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

const changePlan = (user: TestUser, plan_id: string) =>
  api<Record<string, unknown>>("POST", "/v1/subscription/change", {
    token: user.accessToken,
    body: { plan_id, interval: "month" },
  });

/** The same user with a token issued at the (moved) current time. */
async function relogin(user: TestUser): Promise<TestUser> {
  const res = await login(user.email);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return { ...user, accessToken: res.body.access_token };
}

async function renewals(at: number): Promise<Record<string, number>> {
  const run = await runJob(env, "renewals", "admin", at);
  expect(run.status, run.error ?? "").toBe("ok");
  return Object.fromEntries(Object.entries(run.counts).filter(([, n]) => n !== 0));
}

const fakeSubscription = (id: string) => structuredClone(stripe.subscriptions.get(id) ?? {});

describe("a Stripe downgrade", () => {
  it("is a schedule at Stripe at once; Pro's limits hold until the renewal, then Basic's apply", async () => {
    let user = await signup("dg-stripe");
    const sub = await stripeSubscription(stripe, user, { start: T0, end: END });

    const res = await changePlan(user, "pln_basic");
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      effective: "period_end",
      approval_url: null,
      proration: { direction: "downgrade", amount_due_now: 0, next_invoice: { amount: 900 } },
      subscription: {
        plan: { code: "pro" },
        scheduled_change: { plan_id: "pln_basic", interval: "month", effective_at: iso(END) },
      },
    });
    // At Stripe, now: a schedule made from the subscription, its next phase Basic's price.
    expect(stripe.calls("POST", "/v1/subscription_schedules").map((r) => r.params)).toEqual([
      { from_subscription: sub.stripeId },
    ]);
    const scheduleId = stripe.subscriptions.get(sub.stripeId)?.schedule as string;
    const updates = stripe.calls("POST", `/v1/subscription_schedules/${scheduleId}`);
    expect(updates).toHaveLength(1);
    expect(updates[0]?.params).toMatchObject({
      end_behavior: "release",
      proration_behavior: "none",
      phases: [
        {
          items: [{ price: "price_pro_m", quantity: "1" }],
          start_date: String(T0 / 1000),
          end_date: String(END / 1000),
        },
        {
          items: [{ price: "price_basic_m", quantity: "1" }],
          duration: { interval: "month", interval_count: "1" },
          proration_behavior: "none",
          metadata: { plan_id: "pln_basic", interval: "month" },
        },
      ],
    });
    // The subscription itself is untouched: Pro's price for the period paid at Pro's price.
    expect(stripe.calls("POST", `/v1/subscriptions/${sub.stripeId}`)).toHaveLength(0);
    expect(stripe.subscriptions.get(sub.stripeId)?.items).toMatchObject({
      data: [{ price: { id: "price_pro_m" } }],
    });
    expect(await limitsOf(user)).toEqual({
      minute: PRO_MINUTE,
      policy: expect.stringContaining(minutePolicy(PRO_MINUTE)),
    });
    expect(await subscriptionRow(sub.subscriptionId)).toMatchObject({
      planId: "pln_pro",
      scheduledPlanId: "pln_basic",
      providerScheduleId: scheduleId,
    });

    // Stripe reports the subscription (schedule attached, Pro's price) mid-period: Pro holds.
    await receiveStripe(
      stripeEvent("customer.subscription.updated", fakeSubscription(sub.stripeId)),
    );
    expect((await limitsOf(user)).minute).toBe(PRO_MINUTE);
    expect(await showSubscription(user)).toMatchObject({
      plan: { code: "pro" },
      scheduled_change: { plan_id: "pln_basic" },
    });

    // The renewal: the schedule's next phase puts Basic's price on it, without proration.
    vi.setSystemTime(END + MINUTE);
    user = await relogin(user);
    const renewed = stripe.renewSubscription(sub.stripeId);
    expect(renewed.last_proration_behavior).toBe("none");
    await receiveStripe(stripeEvent("customer.subscription.updated", structuredClone(renewed)));
    expect(await subscriptionRow(sub.subscriptionId)).toMatchObject({
      planId: "pln_basic",
      scheduledPlanId: null,
      currentPeriodStart: END,
    });
    expect(await limitsOf(user)).toEqual({
      minute: BASIC_MINUTE,
      policy: expect.stringContaining(minutePolicy(BASIC_MINUTE)),
    });
    expect(await showSubscription(user)).toMatchObject({
      plan: { code: "basic" },
      scheduled_change: null,
    });
  });

  it("without the renewal event, the renewals job applies it after the period end", async () => {
    let user = await signup("dg-stripe-cron");
    const sub = await stripeSubscription(stripe, user, { start: T0, end: END });
    expect((await changePlan(user, "pln_basic")).status).toBe(200);
    expect(await renewals(END - MINUTE)).toEqual({});
    expect((await limitsOf(user)).minute).toBe(PRO_MINUTE);

    stripe.renewSubscription(sub.stripeId);
    vi.setSystemTime(END + 10 * MINUTE);
    user = await relogin(user);
    expect(await renewals(END + 10 * MINUTE)).toEqual({ downgraded: 1 });
    expect(await subscriptionRow(sub.subscriptionId)).toMatchObject({
      planId: "pln_basic",
      scheduledPlanId: null,
    });
    expect((await limitsOf(user)).minute).toBe(BASIC_MINUTE);
    // Nothing was changed at Stripe by the job: it only read the subscription.
    expect(stripe.calls("POST", `/v1/subscriptions/${sub.stripeId}`)).toHaveLength(0);
  });

  it("asking for the current plan again calls it off: Stripe's schedule is released", async () => {
    const user = await signup("dg-stripe-off");
    const sub = await stripeSubscription(stripe, user, { start: T0, end: END });
    expect((await changePlan(user, "pln_basic")).status).toBe(200);
    const scheduleId = stripe.subscriptions.get(sub.stripeId)?.schedule as string;

    const res = await changePlan(user, "pln_pro");
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      subscription: { plan: { code: "pro" }, scheduled_change: null },
    });
    expect(stripe.calls("POST", `/v1/subscription_schedules/${scheduleId}/release`)).toHaveLength(
      1,
    );
    expect(stripe.schedules.byId.get(scheduleId)?.status).toBe("released");
    expect(stripe.subscriptions.get(sub.stripeId)?.schedule).toBeNull();
    expect(await subscriptionRow(sub.subscriptionId)).toMatchObject({
      scheduledPlanId: null,
      providerScheduleId: null,
    });
    // It renews at Pro's price.
    const renewed = stripe.renewSubscription(sub.stripeId);
    expect(renewed.items).toMatchObject({ data: [{ price: { id: "price_pro_m" } }] });
  });

  it("an upgrade or a cancellation while one is scheduled releases the schedule first", async () => {
    const upgrader = await signup("dg-then-up");
    const up = await stripeSubscription(stripe, upgrader, { start: T0, end: END });
    expect((await changePlan(upgrader, "pln_basic")).status).toBe(200);
    const upSchedule = stripe.subscriptions.get(up.stripeId)?.schedule as string;
    const upgraded = await changePlan(upgrader, "pln_enterprise");
    expect(upgraded.status, upgraded.text).toBe(200);
    expect(upgraded.body).toMatchObject({
      effective: "now",
      subscription: { scheduled_change: null },
    });
    expect(stripe.schedules.byId.get(upSchedule)?.status).toBe("released");
    expect(stripe.calls("POST", `/v1/subscriptions/${up.stripeId}`).at(-1)?.params).toMatchObject({
      items: [{ price: "price_ent_m" }],
      proration_behavior: "always_invoice",
    });

    const leaver = await signup("dg-then-cancel");
    const away = await stripeSubscription(stripe, leaver, { start: T0, end: END });
    expect((await changePlan(leaver, "pln_basic")).status).toBe(200);
    // Stripe refuses cancel_at_period_end while a schedule steers the subscription.
    const canceled = await api("POST", "/v1/subscription/cancel", {
      token: leaver.accessToken,
      body: {},
    });
    expect(canceled.status, canceled.text).toBe(200);
    expect(canceled.body).toMatchObject({
      subscription: { cancel_at_period_end: true, scheduled_change: null },
    });
    expect(stripe.subscriptions.get(away.stripeId)?.cancel_at_period_end).toBe(true);
  });

  it("a Stripe refusal is a 502 and schedules nothing", async () => {
    const user = await signup("dg-refused");
    const sub = await stripeSubscription(stripe, user, { start: T0, end: END });
    stripe.failNext("POST", "/v1/subscription_schedules", 400, { code: "parameter_invalid" });
    const res = await changePlan(user, "pln_basic");
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({ code: "provider_error" });
    expect((await subscriptionRow(sub.subscriptionId)).scheduledPlanId).toBeNull();
  });
});

describe("a PayPal downgrade", () => {
  it("is revised at PayPal at once; Pro holds past the buyer's approval until the renewal", async () => {
    let user = await signup("dg-paypal");
    const sub = await paypalSubscription(paypal, user, { start: T0, end: END });

    const res = await changePlan(user, "pln_basic");
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      effective: "period_end",
      approval_url: expect.stringMatching(/^https:\/\/www\.paypal\.fake\//),
      subscription: { plan: { code: "pro" }, scheduled_change: { plan_id: "pln_basic" } },
    });
    // Asked now, well before PayPal bills again: the revision applies from the next cycle.
    const revise = paypal.callsTo("POST", `/v1/billing/subscriptions/${sub.paypalId}/revise`);
    expect(revise.map((c) => c.body)).toEqual([{ plan_id: "P-BASIC-MONTH" }]);
    expect((await limitsOf(user)).minute).toBe(PRO_MINUTE);

    // The buyer approves: PayPal reports the Basic plan, mid-period. Pro is paid for: it holds.
    paypal.update(sub.paypalId, { plan_id: "P-BASIC-MONTH", update_time: iso(Date.now()) });
    await receivePayPal(
      paypal.subscriptionEvent("BILLING.SUBSCRIPTION.UPDATED", sub.paypalId, iso(Date.now())),
    );
    expect(await subscriptionRow(sub.subscriptionId)).toMatchObject({
      planId: "pln_pro",
      scheduledPlanId: "pln_basic",
    });
    expect((await limitsOf(user)).minute).toBe(PRO_MINUTE);

    // PayPal renews at Basic's price; the renewals job moves the subscription at the period end.
    vi.setSystemTime(END + 5 * MINUTE);
    user = await relogin(user);
    paypal.update(sub.paypalId, {
      billing_info: {
        failed_payments_count: 0,
        next_billing_time: iso(END + 30 * DAY),
        last_payment: { amount: { currency_code: "USD", value: "9.00" }, time: iso(END) },
      },
    });
    expect(await renewals(END + 5 * MINUTE)).toEqual({ downgraded: 1 });
    expect(await subscriptionRow(sub.subscriptionId)).toMatchObject({
      planId: "pln_basic",
      scheduledPlanId: null,
      currentPeriodEnd: END + 30 * DAY,
    });
    expect(await limitsOf(user)).toEqual({
      minute: BASIC_MINUTE,
      policy: expect.stringContaining(minutePolicy(BASIC_MINUTE)),
    });
    // Never revised again at the period end (that would bill the old price once more).
    expect(paypal.callsTo("POST", /\/revise$/)).toHaveLength(1);
  });

  it("a renewal event reporting the revised plan applies it at once", async () => {
    let user = await signup("dg-paypal-event");
    const sub = await paypalSubscription(paypal, user, { start: T0, end: END });
    expect((await changePlan(user, "pln_basic")).status).toBe(200);
    vi.setSystemTime(END + MINUTE);
    user = await relogin(user);
    paypal.update(sub.paypalId, {
      plan_id: "P-BASIC-MONTH",
      update_time: iso(END),
      billing_info: {
        failed_payments_count: 0,
        next_billing_time: iso(END + 30 * DAY),
        last_payment: { amount: { currency_code: "USD", value: "9.00" }, time: iso(END) },
      },
    });
    await receivePayPal(
      paypal.subscriptionEvent("BILLING.SUBSCRIPTION.UPDATED", sub.paypalId, iso(END + MINUTE)),
    );
    expect((await subscriptionRow(sub.subscriptionId)).planId).toBe("pln_basic");
    expect((await limitsOf(user)).minute).toBe(BASIC_MINUTE);
  });
});

describe("a manual downgrade", () => {
  it("asks no provider, keeps Pro until the period end, and the renewals job applies it", async () => {
    let user = await signup("dg-manual");
    const id = await insertSubscription(user.id, { currentPeriodStart: T0, currentPeriodEnd: END });
    const res = await changePlan(user, "pln_basic");
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      effective: "period_end",
      approval_url: null,
      subscription: { scheduled_change: { plan_id: "pln_basic", effective_at: iso(END) } },
    });
    expect(stripe.requests).toHaveLength(0);
    expect(paypal.calls).toHaveLength(0);
    expect((await limitsOf(user)).minute).toBe(PRO_MINUTE);
    // An upgrade of an administrator's grant still goes through an administrator.
    expect((await changePlan(user, "pln_enterprise")).status).toBe(409);

    vi.setSystemTime(END + MINUTE);
    user = await relogin(user);
    expect(await renewals(END + MINUTE)).toEqual({ downgraded: 1, renewed: 1 });
    expect(await subscriptionRow(id)).toMatchObject({
      planId: "pln_basic",
      scheduledPlanId: null,
      currentPeriodStart: END,
      currentPeriodEnd: Date.UTC(2032, 4, 1),
    });
    expect((await limitsOf(user)).minute).toBe(BASIC_MINUTE);
  });
});

describe("the billing anchor day", () => {
  async function monthResetAt(user: TestUser): Promise<string> {
    const res = await api<{ windows: { month: { reset_at: string } } }>("GET", "/v1/ping", {
      token: user.accessToken,
    });
    expect(res.status).toBe(200);
    return res.body.windows.month.reset_at;
  }

  it("day 31: a manual subscription rolls Jan 31 → Feb 28 → Mar 31 → Apr 30 through the cron", async () => {
    const jan31 = Date.UTC(2033, 0, 31);
    const feb28 = Date.UTC(2033, 1, 28);
    const mar31 = Date.UTC(2033, 2, 31);
    const apr30 = Date.UTC(2033, 3, 30);
    vi.setSystemTime(jan31 + DAY);
    let user = await signup("anchor31");
    const id = await insertSubscription(user.id, {
      currentPeriodStart: jan31,
      currentPeriodEnd: feb28,
      billingAnchorDay: 31,
    });

    expect(await renewals(feb28 + MINUTE)).toEqual({ renewed: 1 });
    expect(await subscriptionRow(id)).toMatchObject({
      currentPeriodStart: feb28,
      currentPeriodEnd: mar31,
      billingAnchorDay: 31,
    });
    // The limiter's month window is the period: it ends on Mar 31, not Mar 28.
    vi.setSystemTime(Date.UTC(2033, 2, 29));
    user = await relogin(user);
    expect(await monthResetAt(user)).toBe(iso(mar31));

    expect(await renewals(mar31 + MINUTE)).toEqual({ renewed: 1 });
    expect(await subscriptionRow(id)).toMatchObject({
      currentPeriodStart: mar31,
      currentPeriodEnd: apr30,
    });
  });

  it("without a stored day, a clamped period's start gives it (and it is stored)", async () => {
    const user = await signup("anchor-inferred");
    const id = await insertSubscription(user.id, {
      currentPeriodStart: Date.UTC(2033, 0, 31),
      currentPeriodEnd: Date.UTC(2033, 1, 28),
    });
    expect(await renewals(Date.UTC(2033, 1, 28, 0, 1))).toEqual({ renewed: 1 });
    expect(await subscriptionRow(id)).toMatchObject({
      currentPeriodEnd: Date.UTC(2033, 2, 31),
      billingAnchorDay: 31,
    });
  });
});
