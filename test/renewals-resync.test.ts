// The renewals job re-syncing provider subscriptions whose period ended without a renewal event:
// only after the grace hours, ending those the provider ended, letting newer events win, and
// going on past a provider's failure.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { DAY, HOUR, MINUTE } from "../src/lib/time";
import { FakePayPal } from "./fakes/paypal";
import { installFakeStripe } from "./fakes/stripe";
import { subscriptionById } from "./fixtures";
import { minuteLimit, signup } from "./helpers";
import { FREE_MINUTE, PRO_MINUTE } from "./money-helpers";
import {
  fakePayPalSubscription,
  iso,
  NOW,
  ping,
  renewals,
  sec,
  seedSubscription,
  setUpRenewals,
} from "./renewals-helpers";

beforeEach(setUpRenewals);

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
    const lateId = await seedSubscription(late.id, {
      provider: "stripe",
      providerSubscriptionId: lateRemote.id as string,
      currentPeriodStart: lateEnd - 30 * DAY,
      currentPeriodEnd: lateEnd,
      providerStateAt: lateEnd - 30 * DAY,
    });
    const recentId = await seedSubscription(recent.id, {
      provider: "stripe",
      providerSubscriptionId: recentRemote.id as string,
      currentPeriodStart: recentEnd - 30 * DAY,
      currentPeriodEnd: recentEnd,
      providerStateAt: recentEnd - 30 * DAY,
    });

    expect(await renewals()).toStrictEqual({ resynced: 1 });
    expect(stripe.calls("GET", `/v1/subscriptions/${lateRemote.id}`)).toHaveLength(1);
    expect(stripe.calls("GET", `/v1/subscriptions/${recentRemote.id}`)).toHaveLength(0);
    expect(await subscriptionById(lateId)).toMatchObject({
      status: "active",
      planId: "pln_pro",
      currentPeriodStart: lateEnd,
      currentPeriodEnd: lateEnd + 30 * DAY,
    });
    expect((await subscriptionById(recentId)).currentPeriodEnd).toBe(recentEnd);
    // The month window follows the new period.
    expect((await ping(late)).body.windows.month.reset_at).toBe(iso(lateEnd + 30 * DAY));

    // Twice is once; two hours later the other one is past its grace period too.
    expect(await renewals(NOW + 10 * MINUTE)).toStrictEqual({});
    expect(await renewals(NOW + 2 * HOUR)).toStrictEqual({ resynced: 1 });
    expect(stripe.calls("GET", `/v1/subscriptions/${lateRemote.id}`)).toHaveLength(1);
    expect((await subscriptionById(recentId)).currentPeriodEnd).toBe(recentEnd + 30 * DAY);
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
    const id = await seedSubscription(user.id, {
      provider: "stripe",
      providerSubscriptionId: remote.id as string,
      currentPeriodStart: end - 30 * DAY,
      currentPeriodEnd: end,
    });
    expect(await minuteLimit(user)).toBe(PRO_MINUTE);
    expect(await renewals()).toStrictEqual({ resynced: 1, ended_by_provider: 1 });
    expect(await subscriptionById(id)).toMatchObject({
      status: "canceled",
      endedAt: NOW,
      canceledAt: end,
    });
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
    await seedSubscription(user.id, {
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
    const id = await seedSubscription(user.id, {
      provider: "paypal",
      providerSubscriptionId: remote.id,
      currentPeriodStart: end - 30 * DAY,
      currentPeriodEnd: end,
      // The ACTIVATED event came a little after PayPal's status time.
      providerStateAt: end - 30 * DAY + MINUTE,
    });
    expect(await renewals()).toStrictEqual({ resynced: 1 });
    expect(await subscriptionById(id)).toMatchObject({
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
    const id = await seedSubscription(user.id, {
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
    expect(await subscriptionById(id)).toMatchObject({
      status: "active",
      currentPeriodEnd: end + 30 * DAY,
    });
  });

  it("counts a provider failure and goes on with the others", async () => {
    const stripe = installFakeStripe();
    const broken = await signup("broken");
    const fine = await signup("fine");
    const end = NOW - 7 * HOUR;
    const brokenId = await seedSubscription(broken.id, {
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
    await seedSubscription(fine.id, {
      provider: "stripe",
      providerSubscriptionId: remote.id as string,
      currentPeriodStart: end - 30 * DAY,
      currentPeriodEnd: end,
    });
    expect(await renewals()).toStrictEqual({ resynced: 1, failed: 1 });
    expect(await subscriptionById(brokenId)).toMatchObject({
      status: "active",
      currentPeriodEnd: end,
    });
  });
});
