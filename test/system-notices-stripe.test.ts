// The system's notices from Stripe's events, each once: payment failed (off email: the email
// says it), recovered, renewed (in the user's language), plan changed and canceled; a second
// event reporting the same moment notifies nothing more.
import { beforeEach, describe, expect, it } from "vitest";
import { invoiceObject, stripeEvent } from "./fakes/stripe";
import { api, signup } from "./helpers";
import {
  changed,
  fake,
  type Json,
  paidInvoice,
  receive,
  setUpStripe,
  subscribe,
} from "./stripe-helpers";
import { noticeKinds, noticesOf } from "./system-notices-helpers";

beforeEach(setUpStripe);

const withPrice = (subscription: Json, price: string): Json => {
  const items = structuredClone(subscription.items) as { data: { price: { id: string } }[] };
  for (const item of items.data) item.price = { ...item.price, id: price };
  return changed(subscription, { items });
};

describe("system notices from Stripe events", () => {
  it("payment failed once (in-app, push, SMS: the email says it too), then recovered", async () => {
    const user = await signup("notice-failed");
    const s = await subscribe(user, "pro", { status: "active" });
    await receive(
      stripeEvent(
        "invoice.paid",
        invoiceObject({
          customer: s.customerId,
          subscription: s.stripeId,
          amount: 2900,
          charge: "ch_first",
          billingReason: "subscription_create",
        }),
      ),
    );
    expect(await noticesOf(user.id)).toEqual([]);

    const failed = invoiceObject({
      customer: s.customerId,
      subscription: s.stripeId,
      amount: 2900,
      paid: false,
      charge: "ch_declined",
    });
    await receive(stripeEvent("invoice.payment_failed", failed));
    // Stripe reports the same failure again, in another event: nothing more.
    await receive(stripeEvent("invoice.payment_failed", failed));
    expect(await noticesOf(user.id)).toEqual([
      {
        type: "billing",
        title: "Your payment failed",
        body: "We could not charge $29.00 for your Pro subscription. Update your payment method to keep your access.",
        dedupe_key: "payment_failed:stripe:ch_declined",
        channels: "push,sms",
      },
    ]);

    await receive(
      stripeEvent(
        "invoice.paid",
        invoiceObject({
          id: failed.id as string,
          customer: s.customerId,
          subscription: s.stripeId,
          amount: 2900,
          charge: "ch_retry",
        }),
      ),
    );
    const notices = await noticesOf(user.id);
    expect(notices.map((n) => [n.dedupe_key, n.channels])).toEqual([
      ["payment_failed:stripe:ch_declined", "push,sms"],
      ["payment_recovered:stripe:ch_retry", "email,push"],
    ]);
  });

  it("a renewal is told in the user's language, once", async () => {
    const user = await signup("notice-renewal");
    await api("PATCH", "/v1/me", { token: user.accessToken, body: { locale: "es" } });
    const s = await subscribe(user, "pro", { status: "active" });
    const renewal = paidInvoice(s, 2900, { charge: "ch_renewal" });
    await receive(stripeEvent("invoice.paid", renewal));
    await receive(stripeEvent("invoice.paid", renewal));
    const notices = await noticesOf(user.id);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ type: "renewal", title: "Suscripción renovada" });
    expect(notices[0]?.body).toMatch(
      /^Su suscripción Pro se renovó\. La próxima renovación es el \d+ de \w+ de \d{4}\.$/,
    );
  });

  it("a plan change and the end, each once", async () => {
    const user = await signup("notice-plan");
    const s = await subscribe(user, "pro", { status: "active" });
    const upgraded = withPrice(s.subscription, "price_ent_m");
    await receive(stripeEvent("customer.subscription.updated", upgraded));
    await receive(stripeEvent("customer.subscription.updated", upgraded));
    const ended = changed(upgraded, { status: "canceled" });
    await receive(stripeEvent("customer.subscription.deleted", ended));
    await receive(stripeEvent("customer.subscription.deleted", ended));
    const notices = await noticesOf(user.id);
    expect(notices.map((n) => [n.type, n.title, n.body])).toEqual([
      ["billing", "Plan changed", "Your plan changed from Pro to Enterprise."],
      [
        "expiry",
        "Subscription canceled",
        "Your Enterprise subscription has ended. Your account is on the free plan.",
      ],
    ]);
    expect(await noticeKinds(user.id)).toEqual(["plan_changed", "canceled"]);
  });

  it("a change and a cancellation the user asked for are told once, not again by Stripe's echo", async () => {
    const user = await signup("notice-routes");
    const s = await subscribe(user, "basic", { status: "active" });
    const change = await api("POST", "/v1/subscription/change", {
      token: user.accessToken,
      body: { plan_id: "pln_pro", interval: "month" },
    });
    expect(change.status, change.text).toBe(200);
    // Stripe's own event about the same change.
    const echo = fake.subscriptions.get(s.stripeId) as Json;
    await receive(stripeEvent("customer.subscription.updated", echo));
    const cancel = await api("POST", "/v1/subscription/cancel", {
      token: user.accessToken,
      body: { at_period_end: false },
    });
    expect(cancel.status, cancel.text).toBe(200);
    await receive(
      stripeEvent("customer.subscription.deleted", changed(echo, { status: "canceled" })),
    );
    const notices = await noticesOf(user.id);
    expect(notices.map((n) => n.body)).toEqual([
      "Your plan changed from Basic to Pro.",
      "Your Pro subscription has ended. Your account is on the free plan.",
    ]);
  });
});
