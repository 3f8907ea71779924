// DELETE /v1/me stops billing first: every live Stripe and PayPal subscription is canceled at the
// provider at once (not at the period end) and recorded, and a provider that refuses or fails
// leaves everything as it was (502, nothing deleted).
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { DAY } from "../src/lib/time";
import { clearPayPalTokenCache } from "../src/payments/paypal-client";
import type { FakePayPal } from "./fakes/paypal";
import type { FakeStripe } from "./fakes/stripe";
import { api, count, login, signup, type TestUser } from "./helpers";
import {
  FREE_MINUTE,
  insertSubscription,
  installFakes,
  limitsOf,
  PRO_MINUTE,
  paypalSubscription,
  setUpBilling,
  stripeSubscription,
  subscriptionRow,
} from "./money-helpers";

let stripe: FakeStripe;
let paypal: FakePayPal;

beforeEach(async () => {
  clearPayPalTokenCache();
  ({ stripe, paypal } = installFakes());
  await setUpBilling();
});

const period = () => ({ start: Date.now() - 10 * DAY, end: Date.now() + 20 * DAY });

const deleteMe = (user: TestUser) =>
  api<{ code?: string; status?: number }>("DELETE", "/v1/me", {
    token: user.accessToken,
    body: { password: user.password },
  });

async function userStatus(id: string): Promise<string | undefined> {
  const row = await env.DB.prepare("select status from users where id = ?")
    .bind(id)
    .first<{ status: string }>();
  return row?.status;
}

describe("DELETE /v1/me cancels billing first", () => {
  it("cancels the Stripe subscription now (not at the period end) and records it, then deletes", async () => {
    const user = await signup("del-stripe");
    const sub = await stripeSubscription(stripe, user, period());
    expect((await limitsOf(user)).minute).toBe(PRO_MINUTE);

    const before = Date.now();
    const res = await deleteMe(user);
    expect(res.status, res.text).toBe(204);

    // Immediate cancellation (DELETE), never cancel_at_period_end (an update).
    expect(stripe.calls("DELETE", `/v1/subscriptions/${sub.stripeId}`)).toHaveLength(1);
    expect(stripe.calls("POST", `/v1/subscriptions/${sub.stripeId}`)).toHaveLength(0);
    expect(stripe.subscriptions.get(sub.stripeId)?.status).toBe("canceled");
    const row = await subscriptionRow(sub.subscriptionId);
    expect(row).toMatchObject({
      status: "canceled",
      cancelReason: "account_deleted",
      cancelAtPeriodEnd: false,
    });
    expect(row.canceledAt).toBeGreaterThanOrEqual(before);
    expect(row.endedAt).toBe(row.canceledAt);
    expect(await userStatus(user.id)).toBe("deleted");
    expect((await login(user.email)).status).toBe(401);
  });

  it("cancels the PayPal subscription now, with a reason, and records it", async () => {
    const user = await signup("del-paypal");
    const sub = await paypalSubscription(paypal, user, period());

    const res = await deleteMe(user);
    expect(res.status, res.text).toBe(204);

    const cancels = paypal.callsTo("POST", `/v1/billing/subscriptions/${sub.paypalId}/cancel`);
    expect(cancels).toHaveLength(1);
    expect(cancels[0]?.body).toEqual({ reason: "Account deleted" });
    expect(paypal.subscription(sub.paypalId).status).toBe("CANCELLED");
    expect(await subscriptionRow(sub.subscriptionId)).toMatchObject({
      status: "canceled",
      cancelReason: "account_deleted",
    });
    expect(await userStatus(user.id)).toBe("deleted");
  });

  it("cancels every live subscription the user has, at both providers, and ends a manual one", async () => {
    const user = await signup("del-both");
    const atStripe = await stripeSubscription(stripe, user, period());
    const atPayPal = await paypalSubscription(paypal, user, period());
    const manual = await insertSubscription(user.id, { planId: "pln_basic" });

    expect((await deleteMe(user)).status).toBe(204);
    expect(stripe.calls("DELETE", `/v1/subscriptions/${atStripe.stripeId}`)).toHaveLength(1);
    expect(
      paypal.callsTo("POST", `/v1/billing/subscriptions/${atPayPal.paypalId}/cancel`),
    ).toHaveLength(1);
    for (const id of [atStripe.subscriptionId, atPayPal.subscriptionId, manual]) {
      expect((await subscriptionRow(id)).status).toBe("canceled");
    }
    expect(
      await count(
        "select count(*) as n from subscriptions where user_id = ? and status = 'active'",
        user.id,
      ),
    ).toBe(0);
  });

  it("a late Stripe event older than the cancellation never revives the subscription", async () => {
    const user = await signup("del-late");
    const sub = await stripeSubscription(stripe, user, period());
    expect((await deleteMe(user)).status).toBe(204);
    const row = await subscriptionRow(sub.subscriptionId);
    expect(row.providerStateAt).toBeGreaterThanOrEqual(row.canceledAt ?? Number.POSITIVE_INFINITY);
  });
});

describe("DELETE /v1/me fails closed when a provider does not cancel", () => {
  it("Stripe refuses: 502 provider_error, nothing deleted, still subscribed, can still log in", async () => {
    const user = await signup("del-refused");
    const sub = await stripeSubscription(stripe, user, period());
    stripe.failNext("DELETE", `/v1/subscriptions/${sub.stripeId}`, 400, {
      code: "parameter_invalid",
      message: "refused by the test",
    });

    const res = await deleteMe(user);
    expect(res.status, res.text).toBe(502);
    expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 502, code: "provider_error" });

    expect(await userStatus(user.id)).toBe("active");
    expect((await subscriptionRow(sub.subscriptionId)).status).toBe("active");
    expect(stripe.subscriptions.get(sub.stripeId)?.status).toBe("active");
    expect((await login(user.email)).status).toBe(200);
    // Its credentials were never frozen: the same token still works, with the paid limits.
    expect((await limitsOf(user)).minute).toBe(PRO_MINUTE);
  });

  it("PayPal fails: 502, nothing deleted, the subscription still active", async () => {
    const user = await signup("del-pp-fails");
    const sub = await paypalSubscription(paypal, user, period());
    paypal.failNext(
      "POST",
      `/v1/billing/subscriptions/${sub.paypalId}/cancel`,
      () =>
        new Response(JSON.stringify({ name: "INTERNAL_SERVER_ERROR", debug_id: "dbg1" }), {
          status: 500,
          headers: { "content-type": "application/json" },
        }),
    );

    const res = await deleteMe(user);
    expect(res.status, res.text).toBe(502);
    expect(res.body).toMatchObject({ code: "provider_error" });
    expect(await userStatus(user.id)).toBe("active");
    expect((await subscriptionRow(sub.subscriptionId)).status).toBe("active");
    expect(paypal.subscription(sub.paypalId).status).toBe("ACTIVE");
    expect((await login(user.email)).status).toBe(200);
  });

  it("a failure part-way keeps the cancellations that happened and deletes nothing", async () => {
    const user = await signup("del-partial");
    const first = await stripeSubscription(stripe, user, period());
    const second = await paypalSubscription(paypal, user, {
      start: Date.now() - 5 * DAY,
      end: Date.now() + 25 * DAY,
    });
    paypal.failNext(
      "POST",
      `/v1/billing/subscriptions/${second.paypalId}/cancel`,
      () => new Response(null, { status: 503 }),
    );

    expect((await deleteMe(user)).status).toBe(502);
    // Stripe did cancel: that is recorded (it is true); PayPal did not: still live.
    expect((await subscriptionRow(first.subscriptionId)).status).toBe("canceled");
    expect((await subscriptionRow(second.subscriptionId)).status).toBe("active");
    expect(await userStatus(user.id)).toBe("active");
    expect((await login(user.email)).status).toBe(200);
    // Asked again once PayPal answers, the deletion goes through.
    expect((await deleteMe(user)).status).toBe(204);
    expect((await subscriptionRow(second.subscriptionId)).status).toBe("canceled");
    expect(stripe.calls("DELETE", `/v1/subscriptions/${first.stripeId}`)).toHaveLength(1);
  });

  it("a user without subscriptions is deleted as before, asking no provider anything", async () => {
    const user = await signup("del-free");
    expect((await limitsOf(user)).minute).toBe(FREE_MINUTE);
    expect((await deleteMe(user)).status).toBe(204);
    expect(stripe.requests).toHaveLength(0);
    expect(paypal.calls).toHaveLength(0);
  });
});
