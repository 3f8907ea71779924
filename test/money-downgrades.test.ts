// PayPal and manual downgrades: PayPal's revision is requested when the downgrade is asked for
// (it bills from the next cycle), the paid-for plan holds until the period end, and the renewals
// job applies the change then. Manual subscriptions ask no provider.
import { beforeEach, describe, expect, it, vi } from "vitest";
import { DAY, MINUTE } from "../src/lib/time";
import { clearPayPalTokenCache } from "../src/payments/paypal-client";
import type { FakePayPal } from "./fakes/paypal";
import type { FakeStripe } from "./fakes/stripe";
import { signup } from "./helpers";
import {
  BASIC_MINUTE,
  changePlan,
  cleanSubscriptions,
  insertSubscription,
  installFakes,
  iso,
  limitsOf,
  minutePolicy,
  PRO_MINUTE,
  paypalSubscription,
  receivePayPal,
  relogin,
  renewals,
  setUpBilling,
  subscriptionRow,
} from "./money-helpers";

const T0 = Date.UTC(2032, 2, 1);
const END = Date.UTC(2032, 3, 1);
const NOW = T0 + 10 * DAY;

let stripe: FakeStripe;
let paypal: FakePayPal;

beforeEach(async () => {
  vi.setSystemTime(NOW);
  clearPayPalTokenCache();
  ({ stripe, paypal } = installFakes());
  await setUpBilling();
  await cleanSubscriptions();
});

describe("a PayPal downgrade", () => {
  it("is revised at PayPal at once; Pro holds past the buyer's approval until the renewal", async () => {
    let user = await signup("dg-paypal");
    const sub = await paypalSubscription(paypal, user, { start: T0, end: END });

    const res = await changePlan(user, "pln_basic");
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      effective: "period_end",
      approval_url: expect.stringMatching(/^https:\/\/www\.paypal\.fake\//),
      subscription: { plan: { code: "pro" }, scheduled_change: { plan_id: "pln_basic" } },
    });
    // Asked now, well before PayPal bills again: the revision applies from the next cycle.
    const revise = paypal.callsTo("POST", `/v1/billing/subscriptions/${sub.paypalId}/revise`);
    expect(revise.map((c) => c.body)).toEqual([{ plan_id: "P-BASIC-MONTH" }]);
    expect((await limitsOf(user)).minute).toBe(PRO_MINUTE);

    // The buyer approves: PayPal reports the Basic plan, mid-period. Pro is paid for: it holds.
    paypal.update(sub.paypalId, { plan_id: "P-BASIC-MONTH", update_time: iso(Date.now()) });
    await receivePayPal(
      paypal.subscriptionEvent("BILLING.SUBSCRIPTION.UPDATED", sub.paypalId, iso(Date.now())),
    );
    expect(await subscriptionRow(sub.subscriptionId)).toMatchObject({
      planId: "pln_pro",
      scheduledPlanId: "pln_basic",
    });
    expect((await limitsOf(user)).minute).toBe(PRO_MINUTE);

    // PayPal renews at Basic's price; the renewals job moves the subscription at the period end.
    vi.setSystemTime(END + 5 * MINUTE);
    user = await relogin(user);
    paypal.update(sub.paypalId, {
      billing_info: {
        failed_payments_count: 0,
        next_billing_time: iso(END + 30 * DAY),
        last_payment: { amount: { currency_code: "USD", value: "9.00" }, time: iso(END) },
      },
    });
    expect(await renewals(END + 5 * MINUTE)).toEqual({ downgraded: 1 });
    expect(await subscriptionRow(sub.subscriptionId)).toMatchObject({
      planId: "pln_basic",
      scheduledPlanId: null,
      currentPeriodEnd: END + 30 * DAY,
    });
    expect(await limitsOf(user)).toEqual({
      minute: BASIC_MINUTE,
      policy: expect.stringContaining(minutePolicy(BASIC_MINUTE)),
    });
    // Never revised again at the period end (that would bill the old price once more).
    expect(paypal.callsTo("POST", /\/revise$/)).toHaveLength(1);
  });

  it("a renewal event reporting the revised plan applies it at once", async () => {
    let user = await signup("dg-paypal-event");
    const sub = await paypalSubscription(paypal, user, { start: T0, end: END });
    expect((await changePlan(user, "pln_basic")).status).toBe(200);
    vi.setSystemTime(END + MINUTE);
    user = await relogin(user);
    paypal.update(sub.paypalId, {
      plan_id: "P-BASIC-MONTH",
      update_time: iso(END),
      billing_info: {
        failed_payments_count: 0,
        next_billing_time: iso(END + 30 * DAY),
        last_payment: { amount: { currency_code: "USD", value: "9.00" }, time: iso(END) },
      },
    });
    await receivePayPal(
      paypal.subscriptionEvent("BILLING.SUBSCRIPTION.UPDATED", sub.paypalId, iso(END + MINUTE)),
    );
    expect((await subscriptionRow(sub.subscriptionId)).planId).toBe("pln_basic");
    expect((await limitsOf(user)).minute).toBe(BASIC_MINUTE);
  });
});

describe("a manual downgrade", () => {
  it("asks no provider, keeps Pro until the period end, and the renewals job applies it", async () => {
    let user = await signup("dg-manual");
    const id = await insertSubscription(user.id, { currentPeriodStart: T0, currentPeriodEnd: END });
    const res = await changePlan(user, "pln_basic");
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      effective: "period_end",
      approval_url: null,
      subscription: { scheduled_change: { plan_id: "pln_basic", effective_at: iso(END) } },
    });
    expect(stripe.requests).toHaveLength(0);
    expect(paypal.calls).toHaveLength(0);
    expect((await limitsOf(user)).minute).toBe(PRO_MINUTE);
    // An upgrade of an administrator's grant still goes through an administrator.
    expect((await changePlan(user, "pln_enterprise")).status).toBe(409);

    vi.setSystemTime(END + MINUTE);
    user = await relogin(user);
    expect(await renewals(END + MINUTE)).toEqual({ downgraded: 1, renewed: 1 });
    expect(await subscriptionRow(id)).toMatchObject({
      planId: "pln_basic",
      scheduledPlanId: null,
      currentPeriodStart: END,
      currentPeriodEnd: Date.UTC(2032, 4, 1),
    });
    expect((await limitsOf(user)).minute).toBe(BASIC_MINUTE);
  });
});
