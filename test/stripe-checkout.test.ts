// Buying through Stripe: the provider's checkout calls against the fake API (customer, session,
// coupon, trial, errors) and the billing portal; then checkout through the API and the events
// that complete it, binding the pending record and raising the user's limits.
import { beforeEach, describe, expect, it } from "vitest";
import { createBillingPortalSession, createStripeProvider } from "../src/payments/stripe";
import { invoiceObject, stripeEvent, subscriptionObject } from "./fakes/stripe";
import { subscriptionById } from "./fixtures";
import { api, count, signup } from "./helpers";
import {
  changed,
  config,
  expectApiError,
  fake,
  insertIncomplete,
  type Json,
  launchCoupon,
  paidInvoice,
  paymentsOf,
  ping,
  plan,
  receive,
  seconds,
  setUpStripe,
  stripe,
  subscribe,
  subscriptionsOf,
} from "./stripe-helpers";

beforeEach(setUpStripe);

describe("Stripe checkout: the provider's calls", () => {
  it("is not configured without a secret key", () => {
    expect(createStripeProvider({ ...config(), STRIPE_SECRET_KEY: undefined })).toBeNull();
    expect(createStripeProvider(config())?.name).toBe("stripe");
  });

  it("checkout: one customer, a subscription-mode session with price, trial, metadata and coupon", async () => {
    const user = await signup("stripe-checkout");
    const pro = await plan("pro");
    const coupon = await launchCoupon();
    const first = await stripe().createCheckout({
      user: { id: user.id, email: user.email },
      plan: pro,
      interval: "month",
      coupon,
      successUrl: "https://app.test/ok",
      cancelUrl: "https://app.test/no",
      customerId: null,
      subscriptionId: "sub_checkout_1",
    });

    expect(fake.customers.size).toBe(1);
    const [customer] = [...fake.customers.values()];
    expect(customer).toMatchObject({ email: user.email, metadata: { user_id: user.id } });
    expect(first.customerId).toBe(customer?.id);
    expect(first.providerSubscriptionId).toBeUndefined();

    expect(fake.sessions.size).toBe(1);
    const [session] = [...fake.sessions.values()];
    expect(first.checkoutUrl).toBe(session?.url);
    expect(first.checkoutUrl).toMatch(/^https:\/\/checkout\.stripe\.fake\/c\/pay\/cs_/);
    const metadata = {
      user_id: user.id,
      plan_id: pro.id,
      interval: "month",
      tollgate_subscription_id: "sub_checkout_1",
      coupon_id: coupon.id,
    };
    expect(session).toMatchObject({
      mode: "subscription",
      customer: customer?.id,
      client_reference_id: user.id,
      success_url: "https://app.test/ok",
      cancel_url: "https://app.test/no",
      line_items: [{ price: "price_pro_m", quantity: 1 }],
      discounts: [{ coupon: `tg_${coupon.id}` }],
      metadata,
      subscription_data: { metadata, trial_period_days: 14 },
    });
    expect(fake.coupons.get(`tg_${coupon.id}`)).toMatchObject({
      duration: "repeating",
      duration_in_months: 3,
      percent_off: 20,
      amount_off: null,
      name: "Launch",
    });

    // The next checkout reuses the customer; the coupon exists already and is simply used.
    const second = await stripe().createCheckout({
      user: { id: user.id, email: user.email },
      plan: pro,
      interval: "year",
      coupon,
      successUrl: "https://app.test/ok",
      cancelUrl: "https://app.test/no",
      customerId: first.customerId ?? null,
      subscriptionId: "sub_checkout_2",
    });
    expect(second.customerId).toBeUndefined();
    expect(fake.customers.size).toBe(1);
    expect(fake.calls("POST", "/v1/coupons")).toHaveLength(2);
    expect(fake.coupons.size).toBe(1);
    const again = [...fake.sessions.values()].find((s) => s.url === second.checkoutUrl);
    expect(again).toMatchObject({
      customer: first.customerId,
      line_items: [{ price: "price_pro_y", quantity: 1 }],
      discounts: [{ coupon: `tg_${coupon.id}` }],
      metadata: { interval: "year", tollgate_subscription_id: "sub_checkout_2" },
    });
  });

  it("checkout: an amount-off coupon forever, and no trial on a plan without one", async () => {
    const user = await signup("stripe-amount");
    const coupon = await launchCoupon({
      percentOff: null,
      amountOff: 500,
      currency: "USD",
      duration: "forever",
      durationMonths: null,
    });
    const result = await stripe().createCheckout({
      user: { id: user.id, email: user.email },
      plan: await plan("enterprise"),
      interval: "month",
      coupon,
      successUrl: "https://app.test/ok",
      cancelUrl: "https://app.test/no",
      customerId: null,
      subscriptionId: "sub_checkout_3",
    });
    expect(fake.coupons.get(`tg_${coupon.id}`)).toMatchObject({
      duration: "forever",
      duration_in_months: null,
      amount_off: 500,
      currency: "usd",
      percent_off: null,
    });
    const session = [...fake.sessions.values()].find((s) => s.url === result.checkoutUrl);
    expect(session?.subscription_data).toEqual({
      metadata: {
        user_id: user.id,
        plan_id: "pln_enterprise",
        interval: "month",
        tollgate_subscription_id: "sub_checkout_3",
        coupon_id: coupon.id,
      },
    });
    expect(session?.line_items).toEqual([{ price: "price_ent_m", quantity: 1 }]);
  });

  it("checkout: a plan without a Stripe price is refused before any call", async () => {
    const user = await signup("stripe-noprice");
    await expectApiError(
      stripe().createCheckout({
        user: { id: user.id, email: user.email },
        plan: { ...(await plan("pro")), stripePriceYear: null },
        interval: "year",
        coupon: null,
        successUrl: "https://app.test/ok",
        cancelUrl: "https://app.test/no",
        customerId: null,
        subscriptionId: "sub_x",
      }),
      "plan_not_available",
      409,
    );
    expect(fake.requests).toHaveLength(0);
  });

  it("a Stripe error becomes a 502 provider_error", async () => {
    fake.failNext("POST", "/v1/checkout/sessions", 400, { code: "parameter_invalid" });
    const user = await signup("stripe-error");
    const error = await expectApiError(
      stripe().createCheckout({
        user: { id: user.id, email: user.email },
        plan: await plan("pro"),
        interval: "month",
        coupon: null,
        successUrl: "https://app.test/ok",
        cancelUrl: "https://app.test/no",
        customerId: null,
        subscriptionId: "sub_y",
      }),
      "provider_error",
      502,
    );
    expect(error.detail).toBe("Stripe refused the request (parameter_invalid)");
  });

  it("opens a billing portal session for the customer", async () => {
    fake.customers.set("cus_portal", { id: "cus_portal", object: "customer" });
    const url = await createBillingPortalSession(
      config(),
      "cus_portal",
      "https://app.test/account",
    );
    const [session] = [...fake.portalSessions.values()];
    expect(url).toBe(session?.url);
    expect(session).toMatchObject({
      customer: "cus_portal",
      return_url: "https://app.test/account",
    });
    await expectApiError(
      createBillingPortalSession({ ...config(), STRIPE_SECRET_KEY: undefined }, "cus_portal", "x"),
      "provider_unavailable",
      503,
    );
  });
});

describe("Stripe checkout: through the API, then the events that complete it", () => {
  it("checkout through the API, then events: active, paid, and the paid plan's limits on the next request", async () => {
    const user = await signup("stripe-e2e");
    expect(await ping(user)).toEqual({ limit: 20, standing: "good" });

    const res = await api<{ provider: string; checkout_url: string; subscription_id: string }>(
      "POST",
      "/v1/subscription/checkout",
      {
        token: user.accessToken,
        body: {
          plan_id: "pln_enterprise",
          interval: "month",
          provider: "stripe",
          success_url: "https://app.test/billing/done",
          cancel_url: "https://app.test/billing",
        },
      },
    );
    expect(res.status, res.text).toBe(201);
    const [session] = [...fake.sessions.values()];
    expect(res.body).toEqual({
      provider: "stripe",
      checkout_url: session?.url,
      subscription_id: expect.stringMatching(/^sub_/),
    });
    const ourId = res.body.subscription_id;
    expect(session?.metadata).toMatchObject({ user_id: user.id, tollgate_subscription_id: ourId });
    expect((await subscriptionById(ourId)).status).toBe("incomplete");
    // An incomplete checkout grants nothing yet.
    expect((await ping(user)).limit).toBe(20);

    const done = fake.completeCheckout(session?.id as string);
    expect(done.subscription.status).toBe("active");
    await receive(stripeEvent("checkout.session.completed", done.session));
    expect(await subscriptionById(ourId)).toMatchObject({
      providerSubscriptionId: done.subscription.id,
      providerCustomerId: session?.customer,
      status: "incomplete",
    });
    expect(
      await count(
        "select count(*) as n from billing_customers where user_id = ? and provider = 'stripe' and customer_id = ?",
        user.id,
        session?.customer,
      ),
    ).toBe(1);

    const created = seconds();
    await receive(stripeEvent("customer.subscription.created", done.subscription, { created }));
    const invoice = invoiceObject({
      customer: session?.customer as string,
      subscription: done.subscription.id as string,
      subscriptionMetadata: done.subscription.metadata as Record<string, string>,
      amount: 19900,
      charge: "ch_e2e",
    });
    await receive(stripeEvent("invoice.paid", invoice));

    const items = (done.subscription.items as { data: Json[] }).data[0] as Json;
    expect(await subscriptionById(ourId)).toMatchObject({
      status: "active",
      standing: "good",
      planId: "pln_enterprise",
      interval: "month",
      currentPeriodStart: (items.current_period_start as number) * 1000,
      currentPeriodEnd: (items.current_period_end as number) * 1000,
      providerStateAt: created * 1000,
    });
    expect(await subscriptionsOf(user.id)).toHaveLength(1);
    const [payment] = await paymentsOf(user.id);
    expect(payment).toMatchObject({
      subscriptionId: ourId,
      provider: "stripe",
      providerPaymentId: "ch_e2e",
      providerInvoiceId: invoice.id,
      amount: 19900,
      amountRefunded: 0,
      currency: "usd",
      status: "succeeded",
      receiptUrl: `https://invoice.stripe.fake/i/${invoice.id}`,
      failureReason: null,
    });
    expect(await ping(user)).toEqual({ limit: 1000, standing: "good" });
  });

  it("a subscription from checkout: pending record bound, trialing, then paid with limits raised", async () => {
    const user = await signup("stripe-flow");
    const s = await subscribe(user, "pro");
    // Pro has a 14-day trial.
    expect(s.subscription.status).toBe("trialing");
    const row = await subscriptionById(s.ourId);
    expect(row).toMatchObject({
      status: "trialing",
      standing: "good",
      planId: "pln_pro",
      providerSubscriptionId: s.stripeId,
      providerCustomerId: s.customerId,
      trialEnd: (s.subscription.trial_end as number) * 1000,
    });
    expect(await subscriptionsOf(user.id)).toHaveLength(1);
    expect(await ping(user)).toEqual({ limit: 200, standing: "good" });

    // The trial's $0 invoice moves no money and records nothing.
    await receive(stripeEvent("invoice.paid", paidInvoice(s, 0)));
    expect(await paymentsOf(user.id)).toEqual([]);

    const active = changed(s.subscription, { status: "active", trial_end: null });
    await receive(stripeEvent("customer.subscription.updated", active));
    await receive(stripeEvent("invoice.paid", paidInvoice(s, 2900, { charge: "ch_flow" })));
    expect(await subscriptionById(s.ourId)).toMatchObject({ status: "active", trialEnd: null });
    expect(
      (await paymentsOf(user.id)).map((p) => [p.providerPaymentId, p.amount, p.status]),
    ).toEqual([["ch_flow", 2900, "succeeded"]]);
    expect(await ping(user)).toEqual({ limit: 200, standing: "good" });
  });

  it("checkout.session.completed after the subscription's own event binds nothing twice", async () => {
    const user = await signup("stripe-late-session");
    const pending = await insertIncomplete(user, "pln_pro");
    // The subscription reached us first without our id (say, made in the dashboard).
    const subscription = subscriptionObject({
      customer: "cus_late",
      price: "price_pro_m",
      metadata: { user_id: user.id },
    });
    await receive(stripeEvent("customer.subscription.created", subscription));
    await receive(
      stripeEvent("checkout.session.completed", {
        id: "cs_late",
        object: "checkout.session",
        mode: "subscription",
        customer: "cus_late",
        subscription: subscription.id,
        client_reference_id: user.id,
        metadata: { user_id: user.id, tollgate_subscription_id: pending },
      }),
    );
    const rows = await subscriptionsOf(user.id);
    expect(rows.map((r) => [r.id === pending, r.status, r.providerSubscriptionId])).toEqual([
      [true, "incomplete", null],
      [false, "active", subscription.id],
    ]);
    expect(
      await count(
        "select count(*) as n from billing_customers where user_id = ? and customer_id = 'cus_late'",
        user.id,
      ),
    ).toBe(1);
  });
});
