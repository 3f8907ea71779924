// PayPal's payment events applied: sales recorded once however often they come, a payment
// restoring good standing, refunds (through the admin API and PayPal's own) and chargebacks,
// and events that must wait for the sale they refer to.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { Payment } from "../src/db/schema";
import { applyWebhookEvent } from "../src/webhooks/consumer";
import { subscriptionById } from "./fixtures";
import { api, count, signupAdmin, testContext } from "./helpers";
import {
  activeSubscription,
  db,
  deliver,
  iso,
  paypal,
  receive,
  runWebhookQueue,
  setUpPayPal,
  storedEventId,
} from "./paypal-helpers";

beforeEach(setUpPayPal);

async function paymentRow(providerPaymentId: string) {
  return (await db.query.payments.findFirst({
    where: (p, { and, eq }) =>
      and(eq(p.provider, "paypal"), eq(p.providerPaymentId, providerPaymentId)),
  })) as Payment | undefined;
}

describe("PayPal payment events", () => {
  it("PAYMENT.SALE.COMPLETED delivered five times records one payment", async () => {
    const t0 = Date.now();
    const bought = await activeSubscription(t0);
    const sale = paypal.saleCompletedEvent(
      "5SALE0001",
      bought.paypalId,
      "29.00",
      "USD",
      iso(t0 + 2000),
    );
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push((await deliver(sale)).body);
    expect(answers).toStrictEqual(Array.from({ length: 5 }, () => ({ received: true })));
    const eventId = await storedEventId(sale.id);
    // Queue redeliveries of the same message: applied once, every one acked.
    const result = await runWebhookQueue([eventId, eventId, eventId, eventId, eventId]);
    expect(result.explicitAcks.sort()).toStrictEqual(["msg-0", "msg-1", "msg-2", "msg-3", "msg-4"]);
    // PayPal resending the sale under a new event id changes nothing either.
    const resent = { ...sale, id: `${sale.id}-RESENT` };
    expect(await receive(resent)).toBe("processed");

    expect(
      await count("select count(*) as n from payments where provider_payment_id = '5SALE0001'"),
    ).toBe(1);
    expect(await paymentRow("5SALE0001")).toMatchObject({
      userId: bought.user.id,
      subscriptionId: bought.subscriptionId,
      provider: "paypal",
      amount: 2900,
      amountRefunded: 0,
      currency: "usd",
      status: "succeeded",
      periodStart: t0 + 2000,
    });
  });

  it("a payment after a failure restores good standing", async () => {
    const t0 = Date.now();
    const bought = await activeSubscription(t0);
    paypal.update(bought.paypalId, { status: "SUSPENDED", status_update_time: iso(t0 + 3000) });
    await receive(
      paypal.subscriptionEvent("BILLING.SUBSCRIPTION.SUSPENDED", bought.paypalId, iso(t0 + 3000)),
    );
    expect((await subscriptionById(bought.subscriptionId)).standing).toBe("past_due");
    await receive(
      paypal.saleCompletedEvent("5SALE0002", bought.paypalId, "29.00", "USD", iso(t0 + 4000)),
    );
    expect(await subscriptionById(bought.subscriptionId)).toMatchObject({
      status: "active",
      standing: "good",
      pastDueSince: null,
    });
  });

  it("a sale for an unknown subscription is not dropped: the event fails and stays for a retry", async () => {
    const sale = paypal.saleCompletedEvent(
      "5SALEORPHAN",
      "I-NOTOURS",
      "29.00",
      "USD",
      iso(Date.now()),
    );
    const res = await deliver(sale);
    expect(res.status).toBe(200);
    const id = await storedEventId(sale.id);
    await expect(applyWebhookEvent(testContext(), id)).rejects.toThrow(/unknown subscription/);
    const row = await env.DB.prepare("select status, last_error from webhook_events where id = ?")
      .bind(id)
      .first<{ status: string; last_error: string }>();
    expect(row?.status).toBe("pending");
    expect(row?.last_error).toContain("I-NOTOURS");
    expect(
      await count("select count(*) as n from payments where provider_payment_id = '5SALEORPHAN'"),
    ).toBe(0);
  });

  it("refunds: a partial refund through the admin API, PayPal's event for it, then the rest", async () => {
    const t0 = Date.now();
    const bought = await activeSubscription(t0);
    await receive(
      paypal.saleCompletedEvent("5SALE0003", bought.paypalId, "29.00", "USD", iso(t0 + 2000)),
    );
    const payment = await paymentRow("5SALE0003");
    if (!payment) throw new Error("no payment");
    const admin = await signupAdmin();

    const partial = await api<{ amount_refunded: number; status: string }>(
      "POST",
      `/v1/admin/payments/${payment.id}/refund`,
      { token: admin.accessToken, body: { amount: 1050, reason: "goodwill" } },
    );
    expect(partial.status).toBe(200);
    expect(partial.body).toMatchObject({ amount_refunded: 1050, status: "partially_refunded" });
    expect(
      paypal.callsTo("POST", "/v1/payments/sale/5SALE0003/refund").map((c) => c.body),
    ).toStrictEqual([{ amount: { total: "10.50", currency: "USD" }, description: "goodwill" }]);

    // PayPal reports the same refund: counted once.
    await receive(paypal.refundEvent("5SALE0003", "10.50", "10.50", "USD", iso(t0 + 3000)));
    expect(await paymentRow("5SALE0003")).toMatchObject({
      amountRefunded: 1050,
      status: "partially_refunded",
    });

    // A refund made in PayPal's dashboard: the sale's total is now all of it.
    await receive(paypal.refundEvent("5SALE0003", "18.50", "29.00", "USD", iso(t0 + 4000)));
    expect(await paymentRow("5SALE0003")).toMatchObject({
      amountRefunded: 2900,
      status: "refunded",
    });
  });

  it("a full refund through the admin API refunds what is left", async () => {
    const t0 = Date.now();
    const bought = await activeSubscription(t0);
    await receive(
      paypal.saleCompletedEvent("5SALE0004", bought.paypalId, "29.00", "USD", iso(t0 + 2000)),
    );
    const payment = await paymentRow("5SALE0004");
    if (!payment) throw new Error("no payment");
    const admin = await signupAdmin();
    const full = await api<{ amount_refunded: number; status: string }>(
      "POST",
      `/v1/admin/payments/${payment.id}/refund`,
      { token: admin.accessToken, body: {} },
    );
    expect(full.status).toBe(200);
    expect(full.body).toMatchObject({ amount_refunded: 2900, status: "refunded" });
    expect(
      paypal.callsTo("POST", "/v1/payments/sale/5SALE0004/refund").map((c) => c.body),
    ).toStrictEqual([{ amount: { total: "29.00", currency: "USD" } }]);
    expect(paypal.sales.get("5SALE0004")?.refunds.map((r) => r.total)).toStrictEqual(["29.00"]);
  });

  it("a refund event without PayPal's running total records at least that refund (never less than known)", async () => {
    const t0 = Date.now();
    const bought = await activeSubscription(t0);
    await receive(
      paypal.saleCompletedEvent("5SALE0005", bought.paypalId, "29.00", "USD", iso(t0 + 2000)),
    );
    // Some payloads carry the refunded amount negative.
    await receive(paypal.refundEvent("5SALE0005", "-5.00", null, "USD", iso(t0 + 3000)));
    expect(await paymentRow("5SALE0005")).toMatchObject({
      amountRefunded: 500,
      status: "partially_refunded",
    });
  });

  it("REVERSED (a chargeback) refunds the whole sale", async () => {
    const t0 = Date.now();
    const bought = await activeSubscription(t0);
    await receive(
      paypal.saleCompletedEvent("5SALE0006", bought.paypalId, "29.00", "USD", iso(t0 + 2000)),
    );
    await receive(paypal.reversedEvent("5SALE0006", "29.00", "USD", iso(t0 + 3000)));
    expect(await paymentRow("5SALE0006")).toMatchObject({
      amountRefunded: 2900,
      status: "refunded",
    });
  });

  it("a refund that arrives before its sale is retried, then applies once the sale is recorded", async () => {
    const t0 = Date.now();
    const bought = await activeSubscription(t0);
    const sale = paypal.saleCompletedEvent(
      "5SALE0007",
      bought.paypalId,
      "29.00",
      "USD",
      iso(t0 + 2000),
    );
    const refund = paypal.refundEvent("5SALE0007", "29.00", "29.00", "USD", iso(t0 + 3000));
    expect((await deliver(refund)).status).toBe(200);
    const refundId = await storedEventId(refund.id);
    await expect(applyWebhookEvent(testContext(), refundId)).rejects.toThrow(/not recorded yet/);
    await receive(sale);
    expect(await applyWebhookEvent(testContext(), refundId)).toBe("processed");
    expect(await paymentRow("5SALE0007")).toMatchObject({
      amountRefunded: 2900,
      status: "refunded",
    });
  });
});
