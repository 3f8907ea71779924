// What tollgate asks of Stripe about a subscription it has, against the fake API: a plan change,
// cancelling and resuming, fetching its state; and how Stripe's statuses and periods map.
import { beforeEach, describe, expect, it } from "vitest";
import type { Subscription } from "../src/db/schema";
import { mapStripeStatus, subscriptionState } from "../src/payments/stripe-state";
import { expectApiError, fake, type Json, plan, setUpStripe, stripe } from "./stripe-helpers";

beforeEach(setUpStripe);

/** A subscription as D1 would hold it, for the provider's calls (nothing is stored). */
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

describe("Stripe provider: subscriptions", () => {
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
});
