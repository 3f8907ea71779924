// The system's notices from PayPal's events, each once: a payment failed (off email), the sale
// that recovers it, a later sale (a renewal), and the end.
import { beforeEach, describe, expect, it } from "vitest";
import { DAY } from "../src/lib/time";
import { activeSubscription, iso, paypal, receive, setUpPayPal } from "./paypal-helpers";
import { noticesOf } from "./system-notices-helpers";

beforeEach(setUpPayPal);

describe("system notices from PayPal events", () => {
  it("failed, recovered, renewed and canceled, each once however often PayPal says it", async () => {
    const t0 = Date.now();
    const bought = await activeSubscription(t0);
    const userId = bought.user.id;
    // The first sale is the purchase itself: nothing to tell.
    await receive(
      paypal.saleCompletedEvent("5FIRST", bought.paypalId, "29.00", "USD", iso(t0 + 2000)),
    );
    expect(await noticesOf(userId)).toEqual([]);

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
    const failed = () =>
      paypal.subscriptionEvent(
        "BILLING.SUBSCRIPTION.PAYMENT.FAILED",
        bought.paypalId,
        iso(t0 + 5000),
      );
    await receive(failed());
    await receive(failed());
    await receive(
      paypal.saleCompletedEvent("5RETRY", bought.paypalId, "29.00", "USD", iso(t0 + 6000)),
    );
    await receive(
      paypal.saleCompletedEvent("5NEXT", bought.paypalId, "29.00", "USD", iso(t0 + 7000)),
    );
    paypal.update(bought.paypalId, { status: "CANCELLED", status_update_time: iso(t0 + 8000) });
    const cancelled = () =>
      paypal.subscriptionEvent("BILLING.SUBSCRIPTION.CANCELLED", bought.paypalId, iso(t0 + 8000));
    await receive(cancelled());
    await receive(cancelled());

    const notices = await noticesOf(userId);
    expect(notices.map((n) => [n.dedupe_key.split(":")[0], n.channels])).toEqual([
      ["payment_failed", "push,sms"],
      ["payment_recovered", "email,push"],
      ["renewed", "email,push"],
      ["canceled", "email,push"],
    ]);
    expect(notices[0]?.body).toBe(
      "We could not charge $29.00 for your Pro subscription. Update your payment method to keep your access.",
    );
    expect(notices[2]?.body).toBe("Your Pro subscription has renewed.");
  });
});
