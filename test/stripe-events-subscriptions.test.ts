// Stripe's subscription events applied: a subscription first seen in an event, events out of
// order, deletions, the trial reminder, an invoice ahead of its subscription, and the coupon
// redeemed when a subscription starts.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { invoiceObject, stripeEvent, subscriptionObject } from "./fakes/stripe";
import { subscriptionById } from "./fixtures";
import { count, signup } from "./helpers";
import {
  changed,
  emailBatches,
  fake,
  insertIncomplete,
  launchCoupon,
  outboxOf,
  paymentsOf,
  ping,
  receive,
  seconds,
  setUpStripe,
  subscribe,
  subscriptionsOf,
} from "./stripe-helpers";

beforeEach(setUpStripe);

describe("Stripe events: subscriptions", () => {
  it("a subscription first seen in an event is recorded from its metadata", async () => {
    const user = await signup("stripe-new");
    const subscription = subscriptionObject({
      customer: "cus_new_1",
      price: "price_basic_y",
      status: "active",
      metadata: { user_id: user.id },
    });
    await receive(stripeEvent("customer.subscription.created", subscription));
    const [row] = await subscriptionsOf(user.id);
    expect(row).toMatchObject({
      planId: "pln_basic",
      interval: "year",
      status: "active",
      providerSubscriptionId: subscription.id,
      providerCustomerId: "cus_new_1",
    });
    expect(await ping(user)).toEqual({ limit: 60, standing: "good" });

    // Later events about it find that record.
    await receive(
      stripeEvent(
        "customer.subscription.updated",
        changed(subscription, { cancel_at_period_end: true }),
      ),
    );
    expect(await subscriptionsOf(user.id)).toHaveLength(1);
    expect((await subscriptionById(row?.id as string)).cancelAtPeriodEnd).toBe(true);

    // Nobody to attribute it to, or a price no plan has: nothing is recorded.
    const orphan = subscriptionObject({ customer: "cus_unknown", price: "price_basic_m" });
    await receive(stripeEvent("customer.subscription.created", orphan));
    const unknownPrice = subscriptionObject({
      customer: "cus_new_1",
      price: "price_nobody",
      metadata: { user_id: user.id },
    });
    await receive(stripeEvent("customer.subscription.created", unknownPrice));
    expect(
      await count(
        "select count(*) as n from subscriptions where provider_subscription_id in (?, ?)",
        orphan.id,
        unknownPrice.id,
      ),
    ).toBe(0);
  });

  it("an older subscription event arriving late never overwrites newer state", async () => {
    const user = await signup("stripe-order");
    const t = seconds();
    const s = await subscribe(user, "enterprise", { created: t });
    const newer = changed(s.subscription, { cancel_at_period_end: true });
    const older = changed(s.subscription, { status: "past_due" });
    await receive(stripeEvent("customer.subscription.updated", newer, { created: t + 200 }));
    await receive(stripeEvent("customer.subscription.updated", older, { created: t + 100 }));
    expect(await subscriptionById(s.ourId)).toMatchObject({
      status: "active",
      standing: "good",
      cancelAtPeriodEnd: true,
      providerStateAt: (t + 200) * 1000,
    });
    expect(await ping(user)).toEqual({ limit: 1000, standing: "good" });

    // A newer one applies.
    await receive(stripeEvent("customer.subscription.updated", older, { created: t + 300 }));
    expect(await subscriptionById(s.ourId)).toMatchObject({
      status: "past_due",
      standing: "past_due",
      cancelAtPeriodEnd: false,
      providerStateAt: (t + 300) * 1000,
    });
  });

  it("customer.subscription.deleted ends the subscription and the paid limits", async () => {
    const user = await signup("stripe-deleted");
    const t = seconds();
    const s = await subscribe(user, "enterprise", { created: t });
    expect((await ping(user)).limit).toBe(1000);
    const ended = changed(s.subscription, { status: "canceled", canceled_at: t + 50 });
    await receive(stripeEvent("customer.subscription.deleted", ended, { created: t + 60 }));
    const row = await subscriptionById(s.ourId);
    expect(row).toMatchObject({ status: "canceled", canceledAt: (t + 50) * 1000 });
    expect(row.endedAt).toEqual(expect.any(Number));
    expect(await ping(user)).toEqual({ limit: 20, standing: "good" });

    // A late "updated" from before the deletion does not bring it back.
    await receive(
      stripeEvent("customer.subscription.updated", s.subscription, { created: t + 30 }),
    );
    expect((await subscriptionById(s.ourId)).status).toBe("canceled");
  });

  it("a deleted subscription is canceled whatever status it reports; an expired checkout is expired", async () => {
    const user = await signup("stripe-deleted2");
    const unpaid = subscriptionObject({
      customer: "cus_del2",
      price: "price_pro_m",
      status: "unpaid",
      metadata: { user_id: user.id },
    });
    await receive(stripeEvent("customer.subscription.deleted", unpaid));
    const never = subscriptionObject({
      customer: "cus_del2",
      price: "price_pro_m",
      status: "incomplete_expired",
      metadata: { user_id: user.id },
    });
    await receive(stripeEvent("customer.subscription.deleted", never));
    const rows = await subscriptionsOf(user.id);
    expect(
      Object.fromEntries(rows.map((r) => [r.providerSubscriptionId, [r.status, r.standing]])),
    ).toEqual({
      [unpaid.id as string]: ["canceled", "good"],
      [never.id as string]: ["expired", "good"],
    });
    // A "created" arriving after the deletion does not revive it.
    await receive(
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
    await receive(stripeEvent("customer.subscription.trial_will_end", s.subscription));
    const emails = await outboxOf(user.id);
    expect(emails).toHaveLength(1);
    const date = new Intl.DateTimeFormat("en", { dateStyle: "long", timeZone: "UTC" }).format(
      trialEnd * 1000,
    );
    expect(emails[0]).toMatchObject({
      template: "trial_ending",
      to_address: user.email,
      subject: "Your trial ends in 3 days",
      text_body: `Your Pro trial ends on ${date}. Your subscription then continues and your payment method is charged; cancel before then if you do not want it.\n`,
    });
    // Queued after the commit (the signup's verification email came before).
    expect(emailBatches.at(-1)).toEqual([emails[0]?.id]);
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
    await receive(
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
    const row = await subscriptionById(ourId);
    expect(row).toMatchObject({
      status: "active",
      providerSubscriptionId: subscription.id,
      providerCustomerId: "cus_early",
    });
    expect(await paymentsOf(user.id)).toMatchObject([
      { subscriptionId: ourId, providerPaymentId: "ch_early", status: "succeeded" },
    ]);
    expect(await ping(user)).toEqual({ limit: 200, standing: "good" });

    // The created event, older than the fetched state, changes nothing.
    await receive(
      stripeEvent(
        "customer.subscription.created",
        changed(subscription, { status: "incomplete" }),
        {
          created: t - 5,
        },
      ),
    );
    expect((await subscriptionById(ourId)).status).toBe("active");
    expect(await subscriptionsOf(user.id)).toHaveLength(1);
  });
});

describe("Stripe events: coupons", () => {
  it("a coupon is redeemed once when its subscription starts", async () => {
    const user = await signup("stripe-coupon");
    const coupon = await launchCoupon();
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
    await receive(
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
    const coupon = await launchCoupon();
    await subscribe(user, "enterprise", { coupon, status: "incomplete" });
    expect(
      await count("select count(*) as n from coupon_redemptions where coupon_id = ?", coupon.id),
    ).toBe(0);
    expect(await count("select times_redeemed as n from coupons where id = ?", coupon.id)).toBe(0);
  });
});
