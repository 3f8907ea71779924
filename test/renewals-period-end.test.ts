// The renewals job at the period end: subscriptions set to cancel then are ended (PayPal told
// first, as it never was), and downgrades scheduled for then are applied, once.
import { beforeEach, describe, expect, it } from "vitest";
import { DAY, HOUR, MINUTE } from "../src/lib/time";
import { FakePayPal } from "./fakes/paypal";
import { installFakeStripe } from "./fakes/stripe";
import { subscriptionById } from "./fixtures";
import { api, minuteLimit, signup } from "./helpers";
import { BASIC_MINUTE, FREE_MINUTE, PRO_MINUTE } from "./money-helpers";
import {
  fakePayPalSubscription,
  iso,
  NOW,
  renewals,
  sec,
  seedSubscription,
  setUpRenewals,
} from "./renewals-helpers";

beforeEach(setUpRenewals);

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
    const id = await seedSubscription(user.id, {
      provider: "stripe",
      providerSubscriptionId: remote.id as string,
      cancelAtPeriodEnd: true,
      cancelReason: "too expensive",
      currentPeriodStart: end - 30 * DAY,
      currentPeriodEnd: end,
      providerStateAt: end - 10 * DAY,
    });
    // Not yet: a minute before the period end it only tells the user it is ending (once).
    expect(await renewals(end - MINUTE)).toStrictEqual({ ending_reminders: 1 });
    expect(await minuteLimit(user)).toBe(PRO_MINUTE);

    expect(await renewals()).toStrictEqual({ canceled: 1 });
    const after = await subscriptionById(id);
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
    expect(await subscriptionById(id)).toStrictEqual(after);
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
    const id = await seedSubscription(user.id, {
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
    expect((await subscriptionById(id)).status).toBe("active");
    expect(await minuteLimit(user)).toBe(PRO_MINUTE);

    expect(await renewals(NOW + 10 * MINUTE)).toStrictEqual({ canceled: 1 });
    expect(paypal.callsTo("POST", cancelPath)).toHaveLength(2);
    expect(paypal.callsTo("POST", cancelPath)[1]?.body).toStrictEqual({
      reason: "Canceled at the end of the billing period",
    });
    expect(paypal.subscription(remote.id).status).toBe("CANCELLED");
    expect(await subscriptionById(id)).toMatchObject({ status: "canceled", endedAt: end });
    expect(await minuteLimit(user)).toBe(FREE_MINUTE);

    expect(await renewals(NOW + 20 * MINUTE)).toStrictEqual({});
    expect(paypal.callsTo("POST", cancelPath)).toHaveLength(2);
  });

  it("ends a manual subscription at its period end instead of renewing it", async () => {
    const user = await signup("mcancel");
    const id = await seedSubscription(user.id, {
      cancelAtPeriodEnd: true,
      currentPeriodStart: NOW - 31 * DAY,
      currentPeriodEnd: NOW - DAY,
    });
    expect(await renewals()).toStrictEqual({ canceled: 1 });
    expect(await subscriptionById(id)).toMatchObject({ status: "canceled", endedAt: NOW - DAY });
    expect(await minuteLimit(user)).toBe(FREE_MINUTE);
  });
});

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
    const id = await seedSubscription(user.id, {
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
    expect(await subscriptionById(id)).toMatchObject({
      planId: "pln_basic",
      interval: "month",
      scheduledPlanId: null,
      scheduledInterval: null,
      status: "active",
      currentPeriodEnd: end + 30 * DAY,
    });
    // Stripe's state, fetched after the change, is stamped with the time it was fetched.
    expect((await subscriptionById(id)).providerStateAt).toBeGreaterThanOrEqual(NOW);
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
    const id = await seedSubscription(user.id, {
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
    expect(await subscriptionById(id)).toMatchObject({
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
    const id = await seedSubscription(user.id, {
      provider: "stripe",
      providerSubscriptionId: "sub_not_called",
      scheduledPlanId: "pln_basic",
      scheduledInterval: "month",
      currentPeriodStart: NOW - 20 * DAY,
      currentPeriodEnd: NOW + DAY,
    });
    expect(await renewals()).toStrictEqual({});
    expect((await subscriptionById(id)).scheduledPlanId).toBe("pln_basic");
    expect(stripe.requests).toHaveLength(0);
  });
});
