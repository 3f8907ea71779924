// Wallet top-ups through Stripe, through the Worker's fetch and the webhook path: a Checkout
// Session in payment mode, credited once when paid however many times Stripe says so, shown
// among the payments, and refunded only from what is left of it in the wallet.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { userSubject } from "../src/ratelimit/client";
import { stripeEvent } from "./fakes/stripe";
import {
  api,
  count,
  expectProblem,
  limiterStub,
  signup,
  signupAdmin,
  type TestUser,
} from "./helpers";
import { deliver, drain, fake, receive, setUpStripe } from "./stripe-helpers";
import { expectLedgerConsistent, ledgerOf, spend } from "./wallet-helpers";
import { paidTopUp, startTopUp } from "./wallet-top-up-helpers";

beforeEach(setUpStripe);

const balances = async (user: TestUser) =>
  (await api<{ balances: unknown[] }>("GET", "/v1/wallet", { token: user.accessToken })).body
    .balances;

describe("a Stripe top-up", () => {
  it("is a payment-mode Checkout Session for the amount, credited only once paid", async () => {
    const user = await signup("stripe-topup");
    const { topUp, sessionId } = await startTopUp(user, 2500);
    expect(topUp).toMatchObject({
      provider: "stripe",
      checkout_url: expect.stringContaining(sessionId),
    });
    expect(topUp.id).toMatch(/^top_/);
    const session = fake.sessions.get(sessionId);
    expect(session).toMatchObject({ mode: "payment", amount_total: 2500, currency: "usd" });
    expect(await balances(user)).toEqual([]);
    // Completed but not paid yet (a delayed method): nothing credited.
    const unpaid = { ...session, status: "complete", payment_status: "unpaid" };
    await receive(stripeEvent("checkout.session.completed", unpaid));
    expect(await balances(user)).toEqual([]);
  });

  it("is credited once however many times, and by however many events, Stripe confirms it", async () => {
    const user = await signup("stripe-once");
    const { sessionId } = await startTopUp(user, 2500);
    const session = fake.completePayment(sessionId);
    const completed = stripeEvent("checkout.session.completed", session);
    await receive(completed);
    // The same event again, and a second event about the same payment.
    expect((await deliver(completed)).status).toBe(200);
    expect(await drain()).toEqual(["skipped"]);
    await receive(stripeEvent("checkout.session.async_payment_succeeded", session));
    // An admin replays the first event: applied again, credited nothing more.
    const admin = await signupAdmin();
    const stored = await env.DB.prepare("select id from webhook_events where provider_event_id = ?")
      .bind(completed.id)
      .first<{ id: string }>();
    const replay = await api("POST", `/v1/admin/webhook-events/${stored?.id}/replay`, {
      token: admin.accessToken,
    });
    expect(replay.status, replay.text).toBe(202);
    expect(await drain()).toEqual(["processed"]);

    expect(await balances(user)).toEqual([{ currency: "usd", available: 2500, held: 0 }]);
    const stub = limiterStub(userSubject(user.id));
    const ledger = await ledgerOf(stub);
    expect(ledger.map((e) => [e.type, e.amount, e.reference])).toEqual([
      ["top_up", 2500, session.payment_intent],
    ]);
    const payments = await api<{
      data: { amount: number; subscription_id: null; provider: string }[];
    }>("GET", "/v1/payments", { token: user.accessToken });
    expect(payments.body.data).toEqual([
      expect.objectContaining({
        amount: 2500,
        provider: "stripe",
        subscription_id: null,
        status: "succeeded",
      }),
    ]);
    expect(
      await count(
        "select count(*) as n from wallet_top_ups where user_id = ? and status = 'completed'",
        user.id,
      ),
    ).toBe(1);
    // Stripe's customer is kept for the next checkout (and auto-recharge).
    expect(
      await count("select count(*) as n from billing_customers where user_id = ?", user.id),
    ).toBe(1);
  });

  it("another user's top-up payment is not found", async () => {
    const owner = await signup("owner");
    await paidTopUp(owner, 1000);
    const other = await signup("other");
    const mine = await api<{ data: { id: string }[] }>("GET", "/v1/payments", {
      token: owner.accessToken,
    });
    const id = mine.body.data[0]?.id;
    expectProblem(
      await api("GET", `/v1/payments/${id}`, { token: other.accessToken }),
      404,
      "not_found",
    );
    expect((await api("GET", "/v1/wallet", { token: other.accessToken })).body).toEqual({
      balances: [],
    });
  });
});

describe("refunding a top-up", () => {
  async function paymentOf(user: TestUser) {
    const res = await api<{ data: { id: string }[] }>("GET", "/v1/payments", {
      token: user.accessToken,
    });
    return res.body.data[0]?.id as string;
  }

  it("is refused (409) once spent, and takes what is left out of the wallet", async () => {
    const admin = await signupAdmin();
    const user = await signup("refund-spent");
    await paidTopUp(user, 2000);
    await spend(user.id, 1500);
    const payment = await paymentOf(user);
    const refund = (body: object) =>
      api<{ amount_refunded: number }>("POST", `/v1/admin/payments/${payment}/refund`, {
        token: admin.accessToken,
        body,
      });

    const refused = await refund({});
    expect(expectProblem(refused, 409, "conflict").detail).toContain("spent");
    expect(fake.calls("POST", "/v1/refunds")).toHaveLength(0);
    expect(await balances(user)).toEqual([{ currency: "usd", available: 500, held: 0 }]);

    const partial = await refund({ amount: 500, reason: "unused part" });
    expect(partial.status, partial.text).toBe(200);
    expect(partial.body.amount_refunded).toBe(500);
    expect(fake.calls("POST", "/v1/refunds")[0]?.params).toMatchObject({ amount: "500" });
    expect(await balances(user)).toEqual([{ currency: "usd", available: 0, held: 0 }]);
    const stub = limiterStub(userSubject(user.id));
    const ledger = await ledgerOf(stub);
    expect(ledger.map((e) => e.type)).toEqual(["top_up", "hold", "capture", "refund"]);
    expectLedgerConsistent(ledger, await stub.walletBalances());
  });

  it("a refund the provider refuses puts the money back in the wallet", async () => {
    const admin = await signupAdmin();
    const user = await signup("refund-failed");
    await paidTopUp(user, 2000);
    fake.failNext("POST", "/v1/refunds", 400, { code: "charge_disputed" });
    const res = await api("POST", `/v1/admin/payments/${await paymentOf(user)}/refund`, {
      token: admin.accessToken,
      body: {},
    });
    expectProblem(res, 502, "provider_error");
    expect(await balances(user)).toEqual([{ currency: "usd", available: 2000, held: 0 }]);
    const stub = limiterStub(userSubject(user.id));
    const ledger = await ledgerOf(stub);
    expect(ledger.map((e) => [e.type, e.amount])).toEqual([
      ["top_up", 2000],
      ["refund", -2000],
      ["refund", 2000],
    ]);
    expectLedgerConsistent(ledger, await stub.walletBalances());
  });

  it("keeps the money out when Stripe does not answer, and a retry with the reference refunds once", async () => {
    const admin = await signupAdmin();
    const user = await signup("refund-unknown");
    await paidTopUp(user, 2000);
    const payment = await paymentOf(user);
    const refund = (body: object) =>
      api<{ amount_refunded: number; reference?: string }>(
        "POST",
        `/v1/admin/payments/${payment}/refund`,
        { token: admin.accessToken, body },
      );
    // No answer to the request nor to the SDK's own retries (the refund may have been made).
    const spy = fake.spy;
    if (!spy) throw new Error("the fake is not installed");
    for (let i = 0; i < 3; i++) {
      spy.mockImplementationOnce(() => Promise.reject(new TypeError("Network connection lost.")));
    }
    const unknown = await refund({ amount: 1500 });
    const problem = expectProblem<{ reference: string }>(unknown, 502, "provider_outcome_unknown");
    expect(problem.reference).toMatch(new RegExp(`^${payment}:`));
    expect(await balances(user)).toEqual([{ currency: "usd", available: 500, held: 0 }]);

    const retried = await refund({ amount: 1500, reference: problem.reference });
    expect(retried.status, retried.text).toBe(200);
    expect(retried.body.amount_refunded).toBe(1500);
    // The reference is this refund's: used for another amount, it is refused.
    expect((await refund({ amount: 500, reference: problem.reference })).status).toBe(409);
    const sent = fake.calls("POST", "/v1/refunds");
    expect(sent.map((r) => r.idempotencyKey)).toEqual([problem.reference]);
    expect(fake.refunds.size).toBe(1);
    expect(await balances(user)).toEqual([{ currency: "usd", available: 500, held: 0 }]);
    const stub = limiterStub(userSubject(user.id));
    const ledger = await ledgerOf(stub);
    expect(ledger.map((e) => [e.type, e.amount])).toEqual([
      ["top_up", 2000],
      ["refund", -1500],
    ]);
    expectLedgerConsistent(ledger, await stub.walletBalances());
  });

  it("a 5xx keeps the money out; a reference of another payment is a 400", async () => {
    const admin = await signupAdmin();
    const user = await signup("refund-5xx");
    await paidTopUp(user, 2000);
    const payment = await paymentOf(user);
    // The SDK's retries carry the same idempotency key: Stripe answers them the same 500.
    fake.failNext("POST", "/v1/refunds", 500, { type: "api_error", message: "Stripe broke" });
    const res = await api("POST", `/v1/admin/payments/${payment}/refund`, {
      token: admin.accessToken,
      body: {},
    });
    expectProblem(res, 502, "provider_outcome_unknown");
    expect(await balances(user)).toEqual([{ currency: "usd", available: 0, held: 0 }]);
    const foreign = await api("POST", `/v1/admin/payments/${payment}/refund`, {
      token: admin.accessToken,
      body: { reference: "pay_another:x" },
    });
    expect(expectProblem(foreign, 400, "invalid_request").errors?.[0]?.path).toBe("reference");
  });
});
