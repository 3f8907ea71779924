// Refunds through Stripe: the provider refunding a charge (or a PaymentIntent's) by the amount
// asked, and charge.refunded events raising a payment's refunded total, never lowering it.
import { beforeEach, describe, expect, it } from "vitest";
import type { BillingProvider } from "../src/payments/provider";
import { chargeObject, stripeEvent } from "./fakes/stripe";
import { subscriptionById } from "./fixtures";
import { count, signup } from "./helpers";
import {
  expectApiError,
  fake,
  paidInvoice,
  paymentsOf,
  receive,
  setUpStripe,
  stripe,
  subscribe,
} from "./stripe-helpers";

beforeEach(setUpStripe);

describe("Stripe refunds", () => {
  it("refunds the payment's charge, by the amount asked", async () => {
    fake.addCharge({ id: "ch_refund_1", amount: 2900 });
    const payment = {
      id: "pay_local",
      providerPaymentId: "ch_refund_1",
    } as Parameters<BillingProvider["refund"]>[0];

    const first = await stripe().refund(payment, 1000, "goodwill");
    const second = await stripe().refund(payment, 1900);
    const calls = fake.calls("POST", "/v1/refunds");
    expect(calls.map((c) => c.params)).toEqual([
      {
        charge: "ch_refund_1",
        amount: "1000",
        metadata: { tollgate_payment_id: "pay_local", reason: "goodwill" },
      },
      { charge: "ch_refund_1", amount: "1900", metadata: { tollgate_payment_id: "pay_local" } },
    ]);
    expect(fake.refunds.get(first.refundId)?.amount).toBe(1000);
    expect(fake.refunds.get(second.refundId)?.amount).toBe(1900);
    expect(fake.charges.get("ch_refund_1")?.amount_refunded).toBe(2900);

    // Nothing left to refund: Stripe refuses, the caller sees a 502.
    await expectApiError(stripe().refund(payment, 1), "provider_error", 502);

    // A payment recorded under its PaymentIntent is refunded through it.
    fake.addCharge({ id: "ch_refund_2", amount: 900, paymentIntent: "pi_refund_2" });
    await stripe().refund(
      { id: "pay_pi", providerPaymentId: "pi_refund_2" } as Parameters<
        BillingProvider["refund"]
      >[0],
      900,
    );
    expect(fake.calls("POST", "/v1/refunds").at(-1)?.params).toMatchObject({
      payment_intent: "pi_refund_2",
      amount: "900",
    });
    expect(fake.charges.get("ch_refund_2")?.amount_refunded).toBe(900);
  });

  it("charge.refunded marks a payment partially refunded, then refunded", async () => {
    const user = await signup("stripe-refund");
    const s = await subscribe(user, "pro", { status: "active" });
    await receive(stripeEvent("invoice.paid", paidInvoice(s, 2900, { charge: "ch_refunded" })));

    const partial = stripeEvent(
      "charge.refunded",
      chargeObject({ id: "ch_refunded", amount: 2900, amountRefunded: 1000 }),
    );
    await receive(partial);
    expect(await paymentsOf(user.id)).toMatchObject([
      { providerPaymentId: "ch_refunded", status: "partially_refunded", amountRefunded: 1000 },
    ]);

    await receive(
      stripeEvent(
        "charge.refunded",
        chargeObject({ id: "ch_refunded", amount: 2900, amountRefunded: 2900 }),
      ),
    );
    expect(await paymentsOf(user.id)).toMatchObject([{ status: "refunded", amountRefunded: 2900 }]);

    // An earlier refund event arriving late does not lower the refunded total.
    await receive(
      stripeEvent(
        "charge.refunded",
        chargeObject({ id: "ch_refunded", amount: 2900, amountRefunded: 1000 }),
      ),
    );
    expect(await paymentsOf(user.id)).toMatchObject([{ status: "refunded", amountRefunded: 2900 }]);
    // Refunds do not end the subscription.
    expect((await subscriptionById(s.ourId)).status).toBe("active");
  });

  it("an invoice paid through a PaymentIntent is recorded under it and its charge's refund finds it", async () => {
    const user = await signup("stripe-pi");
    const s = await subscribe(user, "pro", { status: "active" });
    const invoice = paidInvoice(s, 2900, { charge: null });
    invoice.payments = {
      object: "list",
      data: [
        {
          object: "invoice_payment",
          payment: { type: "payment_intent", payment_intent: "pi_paid" },
        },
      ],
    };
    await receive(stripeEvent("invoice.paid", invoice));
    await receive(
      stripeEvent(
        "charge.refunded",
        chargeObject({
          id: "ch_of_pi",
          amount: 2900,
          amountRefunded: 500,
          paymentIntent: "pi_paid",
        }),
      ),
    );
    expect(await paymentsOf(user.id)).toMatchObject([
      { providerPaymentId: "pi_paid", status: "partially_refunded", amountRefunded: 500 },
    ]);

    // A refund of a charge never recorded changes nothing.
    await receive(
      stripeEvent(
        "charge.refunded",
        chargeObject({ id: "ch_stranger", amount: 100, amountRefunded: 100 }),
      ),
    );
    expect(
      await count("select count(*) as n from payments where provider_payment_id = 'ch_stranger'"),
    ).toBe(0);
  });
});
