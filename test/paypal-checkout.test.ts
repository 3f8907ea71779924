// Buying through PayPal: checkout through the API creates the PayPal subscription and a local
// incomplete one; a coupon becomes a plan override whose billing cycles carry the discount,
// exactly, and is redeemed once the subscription is active.
import { beforeEach, describe, expect, it } from "vitest";
import { ApiError } from "../src/lib/errors";
import { couponBillingCycles } from "../src/payments/paypal-plans";
import { insertCoupon, subscriptionById } from "./fixtures";
import { api, count, minuteLimit, signup } from "./helpers";
import { activeSubscription, checkout, iso, paypal, receive, setUpPayPal } from "./paypal-helpers";

beforeEach(setUpPayPal);

/** The body tollgate sent PayPal to create this subscription. */
function sentSubscriptionBody(paypalId: string): unknown {
  const create = paypal.callsTo("POST", "/v1/billing/subscriptions");
  const sub = paypal.subscription(paypalId);
  return create.find((c) => (c.body as { custom_id?: string }).custom_id === sub.custom_id)?.body;
}

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

    const row = await subscriptionById(res.body.subscription_id);
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
    expect((await subscriptionById(bought.subscriptionId)).interval).toBe("year");
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
    expect((await subscriptionById(bought.subscriptionId)).couponId).not.toBeNull();
  });

  it("repeating 3 months, amount off: three TRIAL cycles at the discounted price", async () => {
    await insertCoupon({
      code: "PPREP3",
      amountOff: 1001,
      currency: "usd",
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
    const { id: couponId } = await insertCoupon({
      code: "PPREDEEM",
      percentOff: 10,
      duration: "once",
    });
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
