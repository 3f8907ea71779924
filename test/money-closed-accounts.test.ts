import { beforeEach, describe, expect, it } from "vitest";
import { DAY } from "../src/lib/time";
import { clearPayPalTokenCache } from "../src/payments/paypal-client";
import type { FakePayPal } from "./fakes/paypal";
import { type FakeStripe, stripeEvent } from "./fakes/stripe";
import { setUserStatus } from "./fixtures";
import { api, signup, type TestUser } from "./helpers";
import {
  installFakes,
  paypalSubscription,
  receivePayPal,
  receiveStripe,
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

const period = () => ({ start: Date.now() - DAY, end: Date.now() + 29 * DAY });

async function deleteAccount(user: TestUser): Promise<void> {
  const res = await api("DELETE", "/v1/me", {
    token: user.accessToken,
    body: { password: user.password },
  });
  expect(res.status, res.text).toBe(204);
}

describe("a subscription that comes alive for a deleted account", () => {
  it("Stripe: canceled at Stripe now and recorded canceled", async () => {
    const user = await signup("closed-stripe");
    await deleteAccount(user);
    // The checkout it had open is paid afterwards: Stripe now has a live subscription for it.
    const sub = await stripeSubscription(stripe, user, period());
    await setUserStatus(user.id, "deleted"); // as DELETE /v1/me left it
    const remote = stripe.subscriptions.get(sub.stripeId);
    await receiveStripe(
      stripeEvent("customer.subscription.created", structuredClone(remote ?? {})),
    );
    expect(stripe.calls("DELETE", `/v1/subscriptions/${sub.stripeId}`)).toHaveLength(1);
    expect(stripe.subscriptions.get(sub.stripeId)?.status).toBe("canceled");
    expect(await subscriptionRow(sub.subscriptionId)).toMatchObject({ status: "canceled" });
  });

  it("PayPal: canceled at PayPal now and recorded canceled", async () => {
    const user = await signup("closed-paypal");
    await deleteAccount(user);
    const sub = await paypalSubscription(paypal, user, period());
    await setUserStatus(user.id, "deleted"); // as DELETE /v1/me left it
    await receivePayPal(
      paypal.subscriptionEvent(
        "BILLING.SUBSCRIPTION.ACTIVATED",
        sub.paypalId,
        new Date().toISOString(),
      ),
    );
    const cancels = paypal.callsTo("POST", `/v1/billing/subscriptions/${sub.paypalId}/cancel`);
    expect(cancels).toHaveLength(1);
    expect(paypal.subscription(sub.paypalId).status).toBe("CANCELLED");
    expect(await subscriptionRow(sub.subscriptionId)).toMatchObject({ status: "canceled" });
  });

  it("a live account's subscription is left alone", async () => {
    const user = await signup("open-stripe");
    const sub = await stripeSubscription(stripe, user, period());
    const remote = stripe.subscriptions.get(sub.stripeId);
    await receiveStripe(
      stripeEvent("customer.subscription.updated", structuredClone(remote ?? {})),
    );
    expect(stripe.calls("DELETE", `/v1/subscriptions/${sub.stripeId}`)).toHaveLength(0);
    expect(await subscriptionRow(sub.subscriptionId)).toMatchObject({ status: "active" });
  });
});
