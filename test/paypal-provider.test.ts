// The PayPal provider's API client against the fake: credentials and the cached token, retried
// checkouts, the subscription state it maps, cancelling, and the errors it reports; plus the
// exact conversion of amounts between minor units and PayPal's decimal strings.
import { beforeEach, describe, expect, it } from "vitest";
import type { Payment } from "../src/db/schema";
import { ApiError } from "../src/lib/errors";
import { createPayPalProvider } from "../src/payments/paypal";
import { fromPayPalValue, toPayPalValue } from "../src/payments/paypal-money";
import type { BillingProvider } from "../src/payments/provider";
import { subscriptionById } from "./fixtures";
import { activeSubscription, checkout, config, db, paypal, setUpPayPal } from "./paypal-helpers";

beforeEach(setUpPayPal);

describe("PayPal amounts (minor units <-> decimal strings)", () => {
  it("formats integer minor units exactly", () => {
    expect(toPayPalValue(2900, "usd")).toBe("29.00");
    expect(toPayPalValue(5, "USD")).toBe("0.05");
    expect(toPayPalValue(0, "usd")).toBe("0.00");
    expect(toPayPalValue(199000, "eur")).toBe("1990.00");
    expect(toPayPalValue(500, "jpy")).toBe("500");
    expect(toPayPalValue(1234, "kwd")).toBe("1.234");
    expect(toPayPalValue(-1050, "usd")).toBe("-10.50");
    expect(toPayPalValue(9007199254740991, "usd")).toBe("90071992547409.91");
    expect(() => toPayPalValue(10.5, "usd")).toThrow();
  });

  it("parses PayPal's decimals exactly, refusing fractions of a minor unit", () => {
    expect(fromPayPalValue("29.00", "USD")).toBe(2900);
    expect(fromPayPalValue("0.1", "USD")).toBe(10);
    expect(fromPayPalValue(".5", "USD")).toBe(50);
    expect(fromPayPalValue("14.55", "CAD")).toBe(1455);
    expect(fromPayPalValue("822.0100", "CZK")).toBe(82201);
    expect(fromPayPalValue("-10.50", "USD")).toBe(-1050);
    expect(fromPayPalValue("500", "JPY")).toBe(500);
    expect(fromPayPalValue("1.234", "KWD")).toBe(1234);
    // 0.1 + 0.2 style float errors cannot happen: 1.15 is 115, not 114.99999999999999.
    expect(fromPayPalValue("1.15", "USD")).toBe(115);
    expect(() => fromPayPalValue("822.0160", "CZK")).toThrow(/minor units/);
    expect(() => fromPayPalValue("12,00", "USD")).toThrow();
    expect(() => fromPayPalValue("", "USD")).toThrow();
    expect(() => fromPayPalValue("1e3", "USD")).toThrow();
  });
});

describe("PayPal provider", () => {
  function provider(): BillingProvider {
    const p = createPayPalProvider(config());
    if (!p) throw new Error("PayPal is not configured in the test bindings");
    return p;
  }

  it("is not available without client id and secret", () => {
    expect(createPayPalProvider({ ...config(), PAYPAL_CLIENT_SECRET: undefined })).toBeNull();
    expect(createPayPalProvider({ ...config(), PAYPAL_CLIENT_ID: undefined })).toBeNull();
    expect(provider().name).toBe("paypal");
  });

  it("caches the access token in the isolate, and renews it once PayPal refuses it", async () => {
    const p = provider();
    const created = await p.createCheckout({
      user: { id: "usr_x", email: "x@example.test" },
      plan: (await db.query.plans.findFirst({
        where: (pl, { eq }) => eq(pl.id, "pln_pro"),
      })) as never,
      interval: "month",
      coupon: null,
      successUrl: "https://app.test/ok",
      cancelUrl: "https://app.test/no",
      customerId: null,
      subscriptionId: "sub_tokencache",
    });
    await p.fetchSubscription(created.providerSubscriptionId as string);
    await p.fetchSubscription(created.providerSubscriptionId as string);
    expect(paypal.tokensIssued).toBe(1);
    paypal.revokeTokens();
    await p.fetchSubscription(created.providerSubscriptionId as string);
    expect(paypal.tokensIssued).toBe(2);
    // The refused call was retried once with the new token.
    expect(
      paypal.callsTo("GET", `/v1/billing/subscriptions/${created.providerSubscriptionId}`),
    ).toHaveLength(4);
  });

  it("a retried checkout with the same subscription id is the same PayPal subscription", async () => {
    const p = provider();
    const plan = (await db.query.plans.findFirst({
      where: (pl, { eq }) => eq(pl.id, "pln_pro"),
    })) as never;
    const request = {
      user: { id: "usr_x", email: "x@example.test" },
      plan,
      interval: "month" as const,
      coupon: null,
      successUrl: "https://app.test/ok",
      cancelUrl: "https://app.test/no",
      customerId: null,
      subscriptionId: "sub_retried",
    };
    const first = await p.createCheckout(request);
    const second = await p.createCheckout(request);
    expect(second).toStrictEqual(first);
    expect(paypal.subscriptions.size).toBe(1);
  });

  it("fetchSubscription maps PayPal's subscription to tollgate's state", async () => {
    const p = provider();
    const bought = await checkout();
    expect(await p.fetchSubscription(bought.paypalId)).toStrictEqual({
      providerSubscriptionId: bought.paypalId,
      status: "incomplete",
      providerPriceId: "P-PRO-MONTH",
      currentPeriodStart: Date.parse(paypal.now),
      currentPeriodEnd: null,
      trialEnd: null,
      cancelAtPeriodEnd: false,
      canceledAt: null,
      stateAt: Date.parse(paypal.now),
    });
    paypal.activate(bought.paypalId, "2026-03-02T08:00:00Z", "2026-04-02T10:00:00Z", {
      value: "29.00",
      currency_code: "USD",
    });
    paypal.update(bought.paypalId, {
      billing_info: {
        failed_payments_count: 0,
        next_billing_time: "2026-05-02T10:00:00Z",
        last_payment: {
          amount: { value: "29.00", currency_code: "USD" },
          time: "2026-04-02T10:00:05Z",
        },
      },
    });
    expect(await p.fetchSubscription(bought.paypalId)).toMatchObject({
      status: "active",
      currentPeriodStart: Date.parse("2026-04-02T10:00:05Z"),
      currentPeriodEnd: Date.parse("2026-05-02T10:00:00Z"),
      stateAt: Date.parse("2026-03-02T08:00:00Z"),
    });
    const statuses: [string, string][] = [
      ["APPROVED", "incomplete"],
      ["SUSPENDED", "past_due"],
      ["CANCELLED", "canceled"],
      ["EXPIRED", "expired"],
    ];
    for (const [paypalStatus, ours] of statuses) {
      paypal.update(bought.paypalId, {
        status: paypalStatus as never,
        status_update_time: "2026-04-10T00:00:00Z",
      });
      const state = await p.fetchSubscription(bought.paypalId);
      expect([paypalStatus, state.status]).toStrictEqual([paypalStatus, ours]);
    }
    expect((await p.fetchSubscription(bought.paypalId)).canceledAt).toBeNull();
    paypal.update(bought.paypalId, { status: "CANCELLED" });
    expect((await p.fetchSubscription(bought.paypalId)).canceledAt).toBe(
      Date.parse("2026-04-10T00:00:00Z"),
    );
  });

  it("cancel: nothing asked of PayPal at the period end; now → /cancel; already canceled is fine", async () => {
    const p = provider();
    const t0 = Date.now();
    const bought = await activeSubscription(t0);
    const row = await subscriptionById(bought.subscriptionId);
    await p.cancel(row, { atPeriodEnd: true, reason: "later" });
    await p.resume(row);
    expect(paypal.calls.filter((c) => c.path.includes(`${bought.paypalId}/cancel`))).toHaveLength(
      0,
    );
    await p.cancel(row, { atPeriodEnd: false, reason: "x".repeat(300) });
    await p.cancel(row, { atPeriodEnd: false });
    const cancels = paypal.callsTo("POST", `/v1/billing/subscriptions/${bought.paypalId}/cancel`);
    expect(cancels.map((c) => c.body)).toStrictEqual([
      { reason: "x".repeat(128) },
      { reason: "Canceled by the subscriber" },
    ]);
    expect(paypal.subscription(bought.paypalId).status).toBe("CANCELLED");
  });

  it("errors carry PayPal's error name and debug_id", async () => {
    const p = provider();
    const error = await p.fetchSubscription("I-DOESNOTEXIST").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe("provider_error");
    expect((error as ApiError).detail).toMatch(
      /^PayPal show subscription failed with HTTP 404 RESOURCE_NOT_FOUND \(INVALID_RESOURCE_ID\) debug_id [a-z0-9]{13}$/,
    );
    const refund = await p
      .refund({ providerPaymentId: "NOSALE", currency: "usd" } as Payment, 100)
      .catch((e: unknown) => e);
    expect((refund as ApiError).code).toBe("provider_error");
  });

  it("bad credentials are a provider_error that names neither the id nor the secret", async () => {
    const p = createPayPalProvider({ ...config(), PAYPAL_CLIENT_SECRET: "wrong-secret" });
    const error = (await p?.fetchSubscription("I-X").catch((e: unknown) => e)) as ApiError;
    expect(error.code).toBe("provider_error");
    expect(error.detail).toBe("PayPal authentication failed with HTTP 401 invalid_client");
    expect(JSON.stringify(error.toProblem())).not.toContain("wrong-secret");
  });
});
