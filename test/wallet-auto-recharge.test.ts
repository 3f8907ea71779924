// Auto-recharge: a capture that leaves the balance below the threshold starts one recharge; the
// object's alarm hands it to the recharge queue, whose consumer charges the saved card off-session;
// Stripe's payment_intent.succeeded credits it once. No second recharge starts until it is credited
// or fails.
import {
  createExecutionContext,
  createMessageBatch,
  getQueueResult,
  runDurableObjectAlarm,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { WalletRechargeMessage } from "../src/env";
import worker from "../src/index";
import { userSubject } from "../src/ratelimit/client";
import { stripeEvent } from "./fakes/stripe";
import { api, appEnv, count, limiterStub, PASSWORD, signup, type TestUser } from "./helpers";
import { fake, receive, setUpStripe } from "./stripe-helpers";
import { expectLedgerConsistent, ledgerOf, spend as spendFrom } from "./wallet-helpers";
import { paidTopUp } from "./wallet-top-up-helpers";

let recharges: WalletRechargeMessage[];

beforeEach(async () => {
  await setUpStripe();
  recharges = [];
  vi.spyOn(appEnv.WALLET_RECHARGES, "send").mockImplementation(async (body) => {
    recharges.push(body);
    return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } };
  });
});

const SETTINGS = { enabled: true, threshold: 1000, amount: 3000, currency: "usd" };

async function spend(user: TestUser, amount: number) {
  await spendFrom(user.id, amount);
  await runDurableObjectAlarm(limiterStub(userSubject(user.id)));
}

async function charge(messages: WalletRechargeMessage[]) {
  const batch = createMessageBatch(
    "tollgate-wallet-recharges",
    messages.map((body, i) => ({ id: `msg-${i}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  return getQueueResult(batch, ctx);
}

async function ready(label: string) {
  const user = await signup(label);
  await paidTopUp(user, 2500, true);
  const res = await api("PUT", "/v1/wallet/auto-recharge", {
    token: user.accessToken,
    body: SETTINGS,
  });
  expect(res.status, res.text).toBe(200);
  return user;
}

const failedTopUps = (user: TestUser) =>
  count(
    "select count(*) as n from wallet_top_ups where user_id = ? and status = 'failed'",
    user.id,
  );

const pending = async (user: TestUser) =>
  (await api<{ pending: boolean }>("GET", "/v1/wallet/auto-recharge", { token: user.accessToken }))
    .body.pending;

describe("auto-recharge", () => {
  it("fires once when a capture drops below the threshold, and is credited once", async () => {
    const user = await ready("recharge");
    await spend(user, 1000); // 1500 left: above the threshold
    expect(recharges).toEqual([]);
    await spend(user, 1000); // 500 left: below
    expect(recharges).toEqual([
      {
        user_id: user.id,
        reference: expect.stringMatching(/^rch_/),
        amount: 3000,
        currency: "usd",
      },
    ]);
    await spend(user, 100); // still below, but one is in flight
    expect(recharges).toHaveLength(1);
    expect(await pending(user)).toBe(true);

    const result = await charge(recharges);
    expect(result.explicitAcks).toEqual(["msg-0"]);
    // A redelivered message is the same charge (Stripe's idempotency key is the recharge's).
    await charge(recharges);
    const intents = [...fake.paymentIntents.values()].filter(
      (i) => (i.metadata as Record<string, string>).tollgate_kind === "wallet_auto_recharge",
    );
    expect(intents).toHaveLength(1);
    expect(intents[0]).toMatchObject({ amount: 3000, currency: "usd", status: "succeeded" });
    expect(
      await count(
        "select count(*) as n from wallet_top_ups where user_id = ? and kind = 'auto_recharge'",
        user.id,
      ),
    ).toBe(1);

    const succeeded = stripeEvent(
      "payment_intent.succeeded",
      intents[0] as Record<string, unknown>,
    );
    await receive(succeeded);
    await receive(stripeEvent("payment_intent.succeeded", intents[0] as Record<string, unknown>));
    const stub = limiterStub(userSubject(user.id));
    expect(await stub.walletBalances()).toEqual([{ currency: "usd", available: 3400, held: 0 }]);
    const ledger = await ledgerOf(stub);
    expect(ledger.filter((e) => e.type === "auto_recharge").map((e) => e.amount)).toEqual([3000]);
    expectLedgerConsistent(ledger, await stub.walletBalances());
    expect(await pending(user)).toBe(false);

    // Credited: the next drop below the threshold starts the next one.
    await spend(user, 2500);
    expect(recharges).toHaveLength(2);
  });

  it("a recharge queued before the user turned it off charges nothing", async () => {
    const user = await ready("turned-off");
    await spend(user, 2000);
    expect(recharges).toHaveLength(1);
    const off = await api("PUT", "/v1/wallet/auto-recharge", {
      token: user.accessToken,
      body: { ...SETTINGS, enabled: false },
    });
    expect(off.status, off.text).toBe(200);
    const intents = fake.calls("POST", "/v1/payment_intents").length;
    const result = await charge(recharges);
    expect(result.explicitAcks).toEqual(["msg-0"]);
    expect(fake.calls("POST", "/v1/payment_intents")).toHaveLength(intents);
    expect(await pending(user)).toBe(false);
    expect(await failedTopUps(user)).toBe(1);
  });

  it("a declined card fails the recharge, so the next drop can start another", async () => {
    const user = await ready("declined");
    await spend(user, 2000);
    expect(recharges).toHaveLength(1);
    fake.declineNextCharge();
    const result = await charge(recharges);
    expect(result.explicitAcks).toEqual(["msg-0"]);
    expect(await pending(user)).toBe(false);
    expect(await failedTopUps(user)).toBe(1);
    await spend(user, 100);
    expect(recharges).toHaveLength(2);
  });

  it("account deletion turns it off and keeps the ledger, pointing at the anonymized user", async () => {
    const user = await ready("deleted");
    const res = await api("DELETE", "/v1/me", {
      token: user.accessToken,
      body: { password: PASSWORD },
    });
    expect(res.status, res.text).toBe(204);
    const stub = limiterStub(userSubject(user.id));
    expect(await stub.autoRecharge()).toMatchObject({ enabled: false });
    await stub.flush(Date.now() + 5_000);
    const rows = await env.DB.prepare(
      "select l.type, l.amount, u.status from wallet_ledger l join users u on u.id = l.user_id where l.user_id = ?",
    )
      .bind(user.id)
      .all();
    expect(rows.results).toEqual([{ type: "top_up", amount: 2500, status: "deleted" }]);
    // A recharge that was already queued is not charged for a closed account.
    await charge([
      { user_id: user.id, reference: "rch_closed0000", amount: 3000, currency: "usd" },
    ]);
    expect(fake.calls("POST", "/v1/payment_intents")).toHaveLength(0);
  });
});
