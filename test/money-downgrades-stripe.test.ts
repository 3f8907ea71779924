// A Stripe downgrade never bills an extra period at the old price: it is a subscription schedule
// at Stripe from the moment it is asked for, the paid-for plan's limits hold until the period
// end, and the renewal (Stripe's event, or the renewals job) moves the subscription.
import { beforeEach, describe, expect, it, vi } from "vitest";
import { DAY, MINUTE } from "../src/lib/time";
import { clearPayPalTokenCache } from "../src/payments/paypal-client";
import { type FakeStripe, stripeEvent } from "./fakes/stripe";
import { api, signup } from "./helpers";
import {
  BASIC_MINUTE,
  changePlan,
  cleanSubscriptions,
  installFakes,
  iso,
  limitsOf,
  minutePolicy,
  PRO_MINUTE,
  receiveStripe,
  relogin,
  renewals,
  setUpBilling,
  showSubscription,
  stripeSubscription,
  subscriptionRow,
} from "./money-helpers";

const T0 = Date.UTC(2032, 2, 1);
const END = Date.UTC(2032, 3, 1);
const NOW = T0 + 10 * DAY;

let stripe: FakeStripe;

beforeEach(async () => {
  vi.setSystemTime(NOW);
  clearPayPalTokenCache();
  ({ stripe } = installFakes());
  await setUpBilling();
  await cleanSubscriptions();
});

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
