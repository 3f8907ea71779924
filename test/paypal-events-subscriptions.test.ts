// PayPal's BILLING.SUBSCRIPTION.* events applied: activation and the plan's limits, plan
// changes, suspension and failed payments, cancellation and expiry, events out of order, and
// cancellations asked of tollgate.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { DAY } from "../src/lib/time";
import { createPayPalProvider } from "../src/payments/paypal";
import type { BillingProvider } from "../src/payments/provider";
import { subscriptionById } from "./fixtures";
import { api, count, minuteLimit } from "./helpers";
import {
  activeSubscription,
  checkout,
  config,
  db,
  deliver,
  emailBatches,
  iso,
  paypal,
  receive,
  runWebhookQueue,
  setUpPayPal,
  storedEventId,
} from "./paypal-helpers";

beforeEach(setUpPayPal);

describe("PayPal subscription events", () => {
  it("a verified ACTIVATED makes the subscription active; the next request already has the plan's limits", async () => {
    const t0 = Date.now();
    const bought = await checkout();
    expect(await minuteLimit(bought.user)).toBe(20);
    paypal.activate(bought.paypalId, iso(t0), iso(t0 + 30 * DAY), {
      value: "29.00",
      currency_code: "USD",
    });
    const event = paypal.subscriptionEvent(
      "BILLING.SUBSCRIPTION.ACTIVATED",
      bought.paypalId,
      iso(t0 + 1500),
    );
    const res = await deliver(event);
    expect(res.status).toBe(200);
    // Applied by the Worker's own queue handler, as in production.
    const result = await runWebhookQueue([await storedEventId(event.id)]);
    expect(result.explicitAcks).toStrictEqual(["msg-0"]);

    const row = await subscriptionById(bought.subscriptionId);
    expect(row).toMatchObject({
      status: "active",
      standing: "good",
      planId: "pln_pro",
      interval: "month",
      providerSubscriptionId: bought.paypalId,
      currentPeriodStart: t0,
      currentPeriodEnd: t0 + 30 * DAY,
      providerStateAt: t0 + 1500,
      canceledAt: null,
      endedAt: null,
      pastDueSince: null,
    });
    const stored = await env.DB.prepare(
      "select status from webhook_events where provider_event_id = ?",
    )
      .bind(event.id)
      .first<{ status: string }>();
    expect(stored?.status).toBe("processed");
    expect(await minuteLimit(bought.user)).toBe(200);
  });

  it("finds the subscription by custom_id when PayPal's id is not linked yet", async () => {
    const t0 = Date.now();
    const bought = await checkout();
    await env.DB.prepare("update subscriptions set provider_subscription_id = null where id = ?")
      .bind(bought.subscriptionId)
      .run();
    paypal.activate(bought.paypalId, iso(t0), iso(t0 + 30 * DAY));
    await receive(
      paypal.subscriptionEvent("BILLING.SUBSCRIPTION.ACTIVATED", bought.paypalId, iso(t0 + 1)),
    );
    expect(await subscriptionById(bought.subscriptionId)).toMatchObject({
      status: "active",
      providerSubscriptionId: bought.paypalId,
    });
  });

  it("an event for a subscription tollgate does not know changes nothing", async () => {
    const t0 = Date.now();
    const bought = await checkout();
    paypal.activate(bought.paypalId, iso(t0), iso(t0 + 30 * DAY));
    const event = paypal.subscriptionEvent(
      "BILLING.SUBSCRIPTION.ACTIVATED",
      bought.paypalId,
      iso(t0 + 1),
    );
    event.resource.id = "I-SOMEONEELSE";
    event.resource.custom_id = "sub_unknown";
    expect(await receive(event)).toBe("processed");
    expect((await subscriptionById(bought.subscriptionId)).status).toBe("incomplete");
  });

  it("UPDATED to another PayPal plan moves the subscription to that plan and its limits", async () => {
    const t0 = Date.now();
    const bought = await activeSubscription(t0);
    const provider = createPayPalProvider(config()) as BillingProvider;
    const basic = await db.query.plans.findFirst({ where: (p, { eq }) => eq(p.id, "pln_basic") });
    if (!basic) throw new Error("no basic plan");
    const revision = await provider.changePlan(await subscriptionById(bought.subscriptionId), {
      plan: basic,
      interval: "month",
      prorate: false,
      returnUrl: "https://app.test/billing/changed",
    });
    expect(revision.approvalUrl).toMatch(
      /^https:\/\/www\.paypal\.fake\/webapps\/billing\/subscriptions\/update/,
    );
    expect(
      paypal.callsTo("POST", `/v1/billing/subscriptions/${bought.paypalId}/revise`)[0]?.body,
    ).toStrictEqual({
      plan_id: "P-BASIC-MONTH",
      application_context: {
        return_url: "https://app.test/billing/changed",
        cancel_url: "https://app.test/billing/changed",
        shipping_preference: "NO_SHIPPING",
      },
    });
    // The buyer approved: PayPal reports the new plan.
    paypal.update(bought.paypalId, { plan_id: "P-BASIC-MONTH", update_time: iso(t0 + 2000) });
    await receive(
      paypal.subscriptionEvent("BILLING.SUBSCRIPTION.UPDATED", bought.paypalId, iso(t0 + 2000)),
    );
    expect(await subscriptionById(bought.subscriptionId)).toMatchObject({
      status: "active",
      planId: "pln_basic",
      interval: "month",
      providerStateAt: t0 + 2000,
    });
    expect(await minuteLimit(bought.user)).toBe(60);
  });

  it("SUSPENDED → past_due (limits kept while in grace); ACTIVATED again → good standing", async () => {
    const t0 = Date.now();
    const bought = await activeSubscription(t0);
    paypal.update(bought.paypalId, { status: "SUSPENDED", status_update_time: iso(t0 + 3000) });
    await receive(
      paypal.subscriptionEvent("BILLING.SUBSCRIPTION.SUSPENDED", bought.paypalId, iso(t0 + 3000)),
    );
    const suspended = await subscriptionById(bought.subscriptionId);
    expect(suspended).toMatchObject({
      status: "past_due",
      standing: "past_due",
      providerStateAt: t0 + 3000,
    });
    expect(suspended.pastDueSince).toBeTypeOf("number");
    const ping = await api<{ standing: string }>("GET", "/v1/ping", {
      token: bought.user.accessToken,
    });
    expect(ping.body.standing).toBe("past_due");

    paypal.update(bought.paypalId, { status: "ACTIVE", status_update_time: iso(t0 + 4000) });
    await receive(
      paypal.subscriptionEvent("BILLING.SUBSCRIPTION.ACTIVATED", bought.paypalId, iso(t0 + 4000)),
    );
    expect(await subscriptionById(bought.subscriptionId)).toMatchObject({
      status: "active",
      standing: "good",
      pastDueSince: null,
    });
    expect(await minuteLimit(bought.user)).toBe(200);
  });

  it("PAYMENT.FAILED → past_due and one payment_failed email, queued after the commit", async () => {
    const t0 = Date.now();
    const bought = await activeSubscription(t0);
    paypal.update(bought.paypalId, {
      billing_info: {
        failed_payments_count: 1,
        next_billing_time: iso(t0 + 30 * DAY),
        last_failed_payment: {
          amount: { currency_code: "USD", value: "29.00" },
          time: iso(t0 + 5000),
        },
      },
    });
    emailBatches.length = 0;
    await receive(
      paypal.subscriptionEvent(
        "BILLING.SUBSCRIPTION.PAYMENT.FAILED",
        bought.paypalId,
        iso(t0 + 5000),
      ),
    );
    expect(await subscriptionById(bought.subscriptionId)).toMatchObject({
      status: "past_due",
      standing: "past_due",
      providerStateAt: t0 + 5000,
    });
    const emails = await env.DB.prepare(
      "select id, to_address, template, text_body from email_outbox where user_id = ? and template = 'payment_failed'",
    )
      .bind(bought.user.id)
      .all<{ id: string; to_address: string; template: string; text_body: string }>();
    expect(emails.results).toHaveLength(1);
    const [email] = emails.results;
    expect(email?.to_address).toBe(bought.user.email);
    expect(email?.text_body).toContain("We could not charge 29.00 USD for your Pro subscription.");
    expect(emailBatches.flat()).toStrictEqual([email?.id]);
  });

  it("CANCELLED ends the subscription: back to the free plan's limits", async () => {
    const t0 = Date.now();
    const bought = await activeSubscription(t0);
    paypal.update(bought.paypalId, {
      status: "CANCELLED",
      status_update_time: iso(t0 + 6000),
      billing_info: { failed_payments_count: 0 },
    });
    await receive(
      paypal.subscriptionEvent("BILLING.SUBSCRIPTION.CANCELLED", bought.paypalId, iso(t0 + 6000)),
    );
    const row = await subscriptionById(bought.subscriptionId);
    expect(row).toMatchObject({
      status: "canceled",
      canceledAt: t0 + 6000,
      cancelAtPeriodEnd: false,
      // PayPal drops next_billing_time once canceled; the period we knew is kept.
      currentPeriodEnd: t0 + 30 * DAY,
    });
    expect(row.endedAt).toBeTypeOf("number");
    expect(await minuteLimit(bought.user)).toBe(20);
  });

  it("EXPIRED ends the subscription", async () => {
    const t0 = Date.now();
    const bought = await activeSubscription(t0);
    paypal.update(bought.paypalId, { status: "EXPIRED", status_update_time: iso(t0 + 7000) });
    await receive(
      paypal.subscriptionEvent("BILLING.SUBSCRIPTION.EXPIRED", bought.paypalId, iso(t0 + 7000)),
    );
    const row = await subscriptionById(bought.subscriptionId);
    expect(row.status).toBe("expired");
    expect(row.endedAt).toBeTypeOf("number");
    expect(await minuteLimit(bought.user)).toBe(20);
  });

  it("an older event delivered late never overwrites a newer state", async () => {
    const t0 = Date.now();
    const bought = await activeSubscription(t0);
    // PayPal suspended at t0+10s and emitted SUSPENDED; later it was active again (UPDATED at t0+20s).
    paypal.update(bought.paypalId, { status: "SUSPENDED", status_update_time: iso(t0 + 10_000) });
    const suspended = paypal.subscriptionEvent(
      "BILLING.SUBSCRIPTION.SUSPENDED",
      bought.paypalId,
      iso(t0 + 10_000),
    );
    paypal.update(bought.paypalId, {
      status: "ACTIVE",
      status_update_time: iso(t0 + 20_000),
      billing_info: { failed_payments_count: 0, next_billing_time: iso(t0 + 60 * DAY) },
    });
    const updated = paypal.subscriptionEvent(
      "BILLING.SUBSCRIPTION.UPDATED",
      bought.paypalId,
      iso(t0 + 20_000),
    );
    // Delivered newest first.
    expect(await receive(updated)).toBe("processed");
    expect(await receive(suspended)).toBe("processed");
    expect(await subscriptionById(bought.subscriptionId)).toMatchObject({
      status: "active",
      standing: "good",
      currentPeriodEnd: t0 + 60 * DAY,
      providerStateAt: t0 + 20_000,
      pastDueSince: null,
    });
    expect(await minuteLimit(bought.user)).toBe(200);
  });

  it("a late PAYMENT.FAILED older than the state we have neither demotes nor mails", async () => {
    const t0 = Date.now();
    const bought = await activeSubscription(t0);
    const late = paypal.subscriptionEvent(
      "BILLING.SUBSCRIPTION.PAYMENT.FAILED",
      bought.paypalId,
      iso(t0 + 100),
    );
    expect(await receive(late)).toBe("processed");
    expect((await subscriptionById(bought.subscriptionId)).status).toBe("active");
    expect(
      await count(
        "select count(*) as n from email_outbox where user_id = ? and template = 'payment_failed'",
        bought.user.id,
      ),
    ).toBe(0);
  });

  it("a cancellation at the period end survives PayPal's UPDATED events (PayPal knows nothing of it)", async () => {
    const t0 = Date.now();
    const bought = await activeSubscription(t0);
    const res = await api("POST", "/v1/subscription/cancel", {
      token: bought.user.accessToken,
      body: { at_period_end: true },
    });
    expect(res.status).toBe(200);
    expect(
      paypal.callsTo("POST", `/v1/billing/subscriptions/${bought.paypalId}/cancel`),
    ).toHaveLength(0);
    paypal.update(bought.paypalId, { update_time: iso(t0 + 8000) });
    await receive(
      paypal.subscriptionEvent("BILLING.SUBSCRIPTION.UPDATED", bought.paypalId, iso(t0 + 8000)),
    );
    expect(await subscriptionById(bought.subscriptionId)).toMatchObject({
      status: "active",
      cancelAtPeriodEnd: true,
    });
  });

  it("cancelling now cancels at PayPal with the reason", async () => {
    const t0 = Date.now();
    const bought = await activeSubscription(t0);
    const res = await api("POST", "/v1/subscription/cancel", {
      token: bought.user.accessToken,
      body: { at_period_end: false, reason: "too expensive" },
    });
    expect(res.status).toBe(200);
    expect(
      paypal
        .callsTo("POST", `/v1/billing/subscriptions/${bought.paypalId}/cancel`)
        .map((c) => c.body),
    ).toStrictEqual([{ reason: "too expensive" }]);
    expect(paypal.subscription(bought.paypalId).status).toBe("CANCELLED");
    expect((await subscriptionById(bought.subscriptionId)).status).toBe("canceled");
  });
});
