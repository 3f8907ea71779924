// Wallet top-ups through PayPal: an order to approve, captured by tollgate once approved and
// credited once per capture, whether the capture's answer or PAYMENT.CAPTURE.COMPLETED (however
// many times) says so first; and refunded from the wallet, only while unspent.
import { beforeEach, describe, expect, it } from "vitest";
import { userSubject } from "../src/ratelimit/client";
import type { FakeCapture } from "./fakes/paypal-orders";
import {
  api,
  count,
  expectProblem,
  limiterStub,
  signup,
  signupAdmin,
  type TestUser,
} from "./helpers";
import { iso, paypal, receive, setUpPayPal } from "./paypal-helpers";
import { expectLedgerConsistent, ledgerOf, spend } from "./wallet-helpers";

beforeEach(setUpPayPal);

async function startTopUp(user: TestUser, amount: number) {
  const res = await api<{ id: string; provider: string; checkout_url: string }>(
    "POST",
    "/v1/wallet/top-ups",
    {
      token: user.accessToken,
      body: {
        amount,
        currency: "usd",
        provider: "paypal",
        success_url: "https://app.test/paid",
        cancel_url: "https://app.test/cancel",
      },
    },
  );
  expect(res.status, res.text).toBe(201);
  const order = [...paypal.orders.orders.values()].find(
    (o) => o.purchase_units[0]?.custom_id === res.body.id,
  );
  if (!order) throw new Error("no PayPal order for the top-up");
  return { topUp: res.body, orderId: order.id };
}

const balances = async (user: TestUser) =>
  (await api<{ balances: unknown[] }>("GET", "/v1/wallet", { token: user.accessToken })).body
    .balances;

function captureOf(orderId: string): FakeCapture {
  const capture = paypal.orders.order(orderId).purchase_units[0]?.payments?.captures[0];
  if (!capture) throw new Error(`order ${orderId} was not captured`);
  return capture;
}

describe("a PayPal top-up", () => {
  it("is an order to approve; once approved it is captured and credited, once", async () => {
    const user = await signup("paypal-topup");
    const { topUp, orderId } = await startTopUp(user, 1250);
    expect(topUp.checkout_url).toContain(orderId);
    expect(paypal.orders.order(orderId).purchase_units[0]?.amount).toEqual({
      currency_code: "USD",
      value: "12.50",
    });
    expect(await balances(user)).toEqual([]);

    const t = Date.now();
    expect(await receive(paypal.orderApprovedEvent(orderId, iso(t)))).toBe("processed");
    expect(await balances(user)).toEqual([{ currency: "usd", available: 1250, held: 0 }]);
    const capture = captureOf(orderId);
    // PayPal's own word on the capture, twice, and the approval again: nothing more.
    expect(await receive(paypal.captureCompletedEvent(capture, iso(t + 1)))).toBe("processed");
    expect(await receive(paypal.captureCompletedEvent(capture, iso(t + 2)))).toBe("processed");
    expect(await receive(paypal.orderApprovedEvent(orderId, iso(t + 3)))).toBe("processed");
    expect(paypal.callsTo("POST", `/v2/checkout/orders/${orderId}/capture`)).toHaveLength(2);

    expect(await balances(user)).toEqual([{ currency: "usd", available: 1250, held: 0 }]);
    const ledger = await ledgerOf(limiterStub(userSubject(user.id)));
    expect(ledger.map((e) => [e.type, e.amount, e.reference])).toEqual([
      ["top_up", 1250, capture.id],
    ]);
    const payments = await api<{ data: { amount: number; provider: string }[] }>(
      "GET",
      "/v1/payments",
      {
        token: user.accessToken,
      },
    );
    expect(payments.body.data).toEqual([
      expect.objectContaining({ amount: 1250, provider: "paypal" }),
    ]);
  });

  it("a capture event that comes before the approval is credited, and the approval adds nothing", async () => {
    const user = await signup("paypal-capture-first");
    const { orderId } = await startTopUp(user, 900);
    paypal.orders.approve(orderId);
    // Captured (by an earlier delivery of the approval whose result was lost, say).
    const captured = await paypal.handle(
      new Request(`https://paypal.fake/v2/checkout/orders/${orderId}/capture`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${await tokenFor()}`,
          "content-type": "application/json",
        },
        body: "{}",
      }),
    );
    expect(captured.status).toBe(201);
    expect(await receive(paypal.captureCompletedEvent(captureOf(orderId), iso(Date.now())))).toBe(
      "processed",
    );
    expect(await receive(paypal.orderApprovedEvent(orderId, iso(Date.now() + 1)))).toBe(
      "processed",
    );
    expect(await balances(user)).toEqual([{ currency: "usd", available: 900, held: 0 }]);
    expect(await count("select count(*) as n from payments where user_id = ?", user.id)).toBe(1);
  });

  it("is refunded through the capture only while unspent", async () => {
    const admin = await signupAdmin();
    const user = await signup("paypal-refund");
    const { orderId } = await startTopUp(user, 2000);
    await receive(paypal.orderApprovedEvent(orderId, iso(Date.now())));
    await spend(user.id, 1200);
    const stub = limiterStub(userSubject(user.id));
    const payment = (
      await api<{ data: { id: string }[] }>("GET", "/v1/payments", { token: user.accessToken })
    ).body.data[0]?.id;
    const refund = (amount?: number) =>
      api("POST", `/v1/admin/payments/${payment}/refund`, {
        token: admin.accessToken,
        body: amount === undefined ? {} : { amount },
      });
    expectProblem(await refund(), 409, "conflict");
    const ok = await refund(800);
    expect(ok.status, ok.text).toBe(200);
    const capture = captureOf(orderId);
    expect(capture.refunds.map((r) => r.amount)).toEqual([{ currency_code: "USD", value: "8.00" }]);
    expect(await balances(user)).toEqual([{ currency: "usd", available: 0, held: 0 }]);
    expectLedgerConsistent(await ledgerOf(stub), await stub.walletBalances());
  });
});

describe("a PayPal top-up's refund that fails", () => {
  async function refundable(label: string) {
    const admin = await signupAdmin();
    const user = await signup(label);
    const { orderId } = await startTopUp(user, 2000);
    await receive(paypal.orderApprovedEvent(orderId, iso(Date.now())));
    const payment = (
      await api<{ data: { id: string }[] }>("GET", "/v1/payments", { token: user.accessToken })
    ).body.data[0]?.id;
    const capture = captureOf(orderId);
    const refund = (body: object) =>
      api("POST", `/v1/admin/payments/${payment}/refund`, { token: admin.accessToken, body });
    const path = `/v2/payments/captures/${capture.id}/refund`;
    return { user, capture, refund, path };
  }

  it("a 5xx keeps the money out; a retry with the reference refunds once", async () => {
    const { user, capture, refund, path } = await refundable("paypal-refund-5xx");
    paypal.failNext("POST", path, () =>
      Response.json({ name: "INTERNAL_SERVER_ERROR" }, { status: 503 }),
    );
    const unknown = await refund({ amount: 800 });
    const problem = expectProblem<{ reference: string }>(unknown, 502, "provider_outcome_unknown");
    expect(await balances(user)).toEqual([{ currency: "usd", available: 1200, held: 0 }]);
    expect(capture.refunds).toEqual([]);

    const retried = await refund({ amount: 800, reference: problem.reference });
    expect(retried.status, retried.text).toBe(200);
    // Both attempts carried the reference as PayPal-Request-Id; one refund was made.
    const sent = paypal.callsTo("POST", path);
    expect(sent.map((c) => c.headers["paypal-request-id"])).toEqual([
      problem.reference,
      problem.reference,
    ]);
    expect(capture.refunds).toHaveLength(1);
    expect(await balances(user)).toEqual([{ currency: "usd", available: 1200, held: 0 }]);
    const stub = limiterStub(userSubject(user.id));
    const ledger = await ledgerOf(stub);
    expect(ledger.map((e) => [e.type, e.amount])).toEqual([
      ["top_up", 2000],
      ["refund", -800],
    ]);
    expectLedgerConsistent(ledger, await stub.walletBalances());
  });

  it("a 4xx refusal puts the money back", async () => {
    const { user, capture, refund, path } = await refundable("paypal-refund-4xx");
    paypal.failNext("POST", path, () =>
      Response.json({ name: "UNPROCESSABLE_ENTITY" }, { status: 422 }),
    );
    expectProblem(await refund({ amount: 800 }), 502, "provider_error");
    expect(capture.refunds).toEqual([]);
    expect(await balances(user)).toEqual([{ currency: "usd", available: 2000, held: 0 }]);
    const stub = limiterStub(userSubject(user.id));
    expectLedgerConsistent(await ledgerOf(stub), await stub.walletBalances());
  });
});

/** An access token the fake accepts, for a test that calls it directly. */
async function tokenFor(): Promise<string> {
  const res = await paypal.handle(
    new Request("https://paypal.fake/v1/oauth2/token", {
      method: "POST",
      headers: {
        authorization: `Basic ${btoa("paypal-client:paypal-secret")}`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: "grant_type=client_credentials",
    }),
  );
  return ((await res.json()) as { access_token: string }).access_token;
}
