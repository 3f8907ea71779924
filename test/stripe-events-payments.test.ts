// Stripe's payment events applied: a failed payment (past due, an email) and the paid retry that
// restores the subscription, failed attempts without a charge, and amounts in minor units.
import { beforeEach, describe, expect, it } from "vitest";
import { formatMoney } from "../src/lib/money";
import { invoiceObject, stripeEvent } from "./fakes/stripe";
import { subscriptionById } from "./fixtures";
import { signup } from "./helpers";
import {
  emailBatches,
  type Json,
  outboxOf,
  paidInvoice,
  paymentsOf,
  ping,
  receive,
  setUpStripe,
  subscribe,
} from "./stripe-helpers";

beforeEach(setUpStripe);

describe("Stripe events: payments", () => {
  it("a failed payment makes it past_due with an email; the next paid invoice restores it", async () => {
    const user = await signup("stripe-dunning");
    const s = await subscribe(user, "pro", { status: "active" });
    await receive(stripeEvent("invoice.paid", paidInvoice(s, 2900, { charge: "ch_first" })));

    const failed: Json = {
      ...invoiceObject({
        customer: s.customerId,
        subscription: s.stripeId,
        amount: 2900,
        paid: false,
        charge: "ch_declined",
        attempt: 1,
      }),
      last_finalization_error: { message: "Your card was declined." },
    };
    await receive(stripeEvent("invoice.payment_failed", failed));
    const row = await subscriptionById(s.ourId);
    expect(row).toMatchObject({ status: "past_due", standing: "past_due" });
    expect(row.pastDueSince).toEqual(expect.any(Number));
    expect(
      (await paymentsOf(user.id)).map((p) => [
        p.providerPaymentId,
        p.status,
        p.amount,
        p.failureReason,
      ]),
    ).toEqual([
      ["ch_first", "succeeded", 2900, null],
      ["ch_declined", "failed", 2900, "Your card was declined."],
    ]);
    const emails = await outboxOf(user.id);
    expect(emails.map((e) => [e.template, e.subject])).toEqual([
      ["payment_failed", "Your payment failed"],
    ]);
    expect(emails[0]?.text_body).toBe(
      "We could not charge $29.00 for your Pro subscription. Please update your payment method: access is limited if the balance stays unpaid.\n",
    );
    // Queued after the commit (the signup's verification email came before).
    expect(emailBatches.at(-1)).toEqual([emails[0]?.id]);
    expect(await ping(user)).toEqual({ limit: 200, standing: "past_due" });

    // The retry succeeds.
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
    expect(await subscriptionById(s.ourId)).toMatchObject({
      status: "active",
      standing: "good",
      pastDueSince: null,
    });
    expect((await paymentsOf(user.id)).map((p) => p.status)).toEqual([
      "succeeded",
      "failed",
      "succeeded",
    ]);
    expect(await ping(user)).toEqual({ limit: 200, standing: "good" });
  });

  it("failed attempts without a charge id are told apart and never block the later success", async () => {
    const user = await signup("stripe-nocharge");
    const s = await subscribe(user, "basic", { status: "active" });
    const invoice = (attempt: number, paid: boolean) =>
      invoiceObject({
        id: "in_nocharge",
        customer: s.customerId,
        subscription: s.stripeId,
        amount: 900,
        paid,
        charge: null,
        attempt,
      });
    await receive(stripeEvent("invoice.payment_failed", invoice(1, false)));
    await receive(stripeEvent("invoice.payment_failed", invoice(2, false)));
    await receive(stripeEvent("invoice.paid", invoice(3, true)));
    expect((await paymentsOf(user.id)).map((p) => [p.providerPaymentId, p.status])).toEqual([
      ["in_nocharge:attempt_1", "failed"],
      ["in_nocharge:attempt_2", "failed"],
      ["in_nocharge", "succeeded"],
    ]);
    expect((await subscriptionById(s.ourId)).status).toBe("active");
  });

  it("formats amounts in their currency's minor units", () => {
    expect(formatMoney(2900, "usd")).toBe("$29.00");
    expect(formatMoney(500, "JPY")).toBe("¥500");
    expect(formatMoney(1999, "eur")).toBe("€19.99");
  });
});
