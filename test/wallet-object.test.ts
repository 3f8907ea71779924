// The wallet inside the RateLimiter object: priced admission (windows and money in one step),
// holds settled once, Idempotency-Key replays, stale holds released by the alarm, the ledger
// flushed to D1, and the ledger invariant.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { DAY, HOUR, MINUTE } from "../src/lib/time";
import type { CountedResult } from "../src/ratelimit/messages";
import { HOLD_TTL } from "../src/ratelimit/wallet";
import {
  d1Ledger,
  expectLedgerConsistent,
  FEE,
  fund,
  holdsIn,
  ledgerOf,
  priced,
  T0,
  walletUser,
} from "./wallet-helpers";

const minuteUsed = (result: CountedResult) =>
  result.windows.find((w) => w.window === "minute")?.used;

describe("priced admission", () => {
  it("60 concurrent calls on 25 fees' worth: exactly 25 admitted and held", async () => {
    const { subject, stub } = await walletUser();
    await fund(stub, subject, 25 * FEE);
    // Inside the object, all at once; the first waits for the policy's load from D1 and the
    // others queue behind it: every check-and-hold still runs as one step.
    const results = await runInDurableObject(stub, (object) =>
      Promise.all(
        Array.from({ length: 60 }, (_, i) => object.consume(priced(subject, `run_${i}`))),
      ),
    );
    const outcomes = results.map((r) => r.outcome);
    expect(outcomes.filter((o) => o === "allowed")).toHaveLength(25);
    expect(outcomes.filter((o) => o === "insufficient_funds")).toHaveLength(35);
    expect(await stub.walletBalances()).toEqual([
      { currency: "usd", available: 0, held: 25 * FEE },
    ]);
    expect(await holdsIn(stub)).toBe(25);
    // Only the admitted calls were counted, in the plan's windows and the action's own.
    const last = await stub.consume(
      priced(subject, "run_last", { hold: { amount: 0, currency: "usd" } }),
    );
    expect(last).toMatchObject({ outcome: "allowed" });
    expect(minuteUsed(last as CountedResult)).toBe(26);
    expect((last as CountedResult).window?.used).toBe(26);
    expectLedgerConsistent(await ledgerOf(stub), await stub.walletBalances());
  });

  it("the same through concurrent RPCs to the object", async () => {
    const { subject, stub } = await walletUser();
    await fund(stub, subject, 25 * FEE);
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => stub.consume(priced(subject, `run_${i}`))),
    );
    expect(results.filter((r) => r.outcome === "allowed")).toHaveLength(25);
    const held = results.flatMap((r) => ("holdId" in r && r.holdId ? [r.holdId] : []));
    expect(new Set(held).size).toBe(25);
    expect(await stub.walletBalances()).toEqual([{ currency: "usd", available: 0, held: 250 }]);
  });

  it("insufficient funds counts nothing and holds nothing, and names the price", async () => {
    const { subject, stub } = await walletUser();
    await fund(stub, subject, FEE - 1);
    const own = { name: "action:once", limit: 1, windowMs: MINUTE };
    const refused = await stub.consume(priced(subject, "run_a", { window: own }));
    expect(refused).toMatchObject({
      outcome: "insufficient_funds",
      violations: [],
      funds: { currency: "usd", price: FEE, available: FEE - 1 },
    });
    expect(minuteUsed(refused as CountedResult)).toBe(0);
    expect((refused as CountedResult).window?.used).toBe(0);
    expect(await stub.walletBalances()).toEqual([{ currency: "usd", available: 9, held: 0 }]);
    // The action's window of 1 still has its room: the refused call took none of it.
    await fund(stub, subject, 1);
    const admitted = await stub.consume(priced(subject, "run_b", { window: own }));
    expect(admitted).toMatchObject({ outcome: "allowed", holdId: "run_b" });
    expect(minuteUsed(admitted as CountedResult)).toBe(1);
    expect((await ledgerOf(stub)).map((e) => e.type)).toEqual(["top_up", "top_up", "hold"]);
  });

  it("a full action window refuses before the money is looked at, and holds nothing", async () => {
    const { subject, stub } = await walletUser();
    await fund(stub, subject, 10 * FEE);
    const own = { name: "action:slow", limit: 2, windowMs: MINUTE };
    for (const ref of ["r1", "r2"]) {
      expect(await stub.consume(priced(subject, ref, { window: own }))).toMatchObject({
        outcome: "allowed",
      });
    }
    const limited = (await stub.consume(priced(subject, "r3", { window: own }))) as CountedResult;
    expect(limited.outcome).toBe("limited");
    expect(limited.violations).toMatchObject([{ window: "action:slow", limit: 2, used: 2 }]);
    expect(minuteUsed(limited)).toBe(2);
    expect(await stub.walletBalances()).toEqual([{ currency: "usd", available: 80, held: 20 }]);
    // The next minute has room again.
    const later = await stub.consume(priced(subject, "r4", { window: own, now: T0 + MINUTE }));
    expect(later).toMatchObject({ outcome: "allowed" });
  });
});

describe("settling holds", () => {
  it("capture and release are idempotent by reference; settled references are no-ops", async () => {
    const { subject, stub } = await walletUser();
    await fund(stub, subject, 100);
    await stub.consume(priced(subject, "run_a", { hold: { amount: 30, currency: "usd" } }));
    await stub.consume(priced(subject, "run_b", { hold: { amount: 20, currency: "USD" } }));
    expect(await stub.captureHold(subject, "run_a", T0 + 1)).toBe(true);
    expect(await stub.captureHold(subject, "run_a", T0 + 2)).toBe(false);
    expect(await stub.releaseHold(subject, "run_a", T0 + 3)).toBe(false);
    expect(await stub.releaseHold(subject, "run_b", T0 + 4)).toBe(true);
    expect(await stub.releaseHold(subject, "run_b", T0 + 5)).toBe(false);
    expect(await stub.captureHold(subject, "run_b", T0 + 6)).toBe(false);
    expect(await stub.captureHold(subject, "run_unknown", T0 + 7)).toBe(false);
    const balances = await stub.walletBalances();
    expect(balances).toEqual([{ currency: "usd", available: 70, held: 0 }]);
    const ledger = await ledgerOf(stub);
    expect(ledger.map((e) => [e.type, e.amount, e.reference])).toEqual([
      ["top_up", 100, expect.any(String)],
      ["hold", -30, "run_a"],
      ["hold", -20, "run_b"],
      ["capture", -30, "run_a"],
      ["release", 20, "run_b"],
    ]);
    expectLedgerConsistent(ledger, balances);
    // A reference that was held once is never held again: the same run is one charge.
    expect(await stub.consume(priced(subject, "run_a"))).toEqual({
      outcome: "replay",
      reference: "run_a",
      keyId: null,
    });
  });

  it("credits and debits are once per reference; a debit never overdraws", async () => {
    const { subject, stub } = await walletUser();
    const payment = await fund(stub, subject, 500);
    const again = await stub.moveFunds(
      subject,
      { type: "top_up", money: { amount: 500, currency: "usd" }, reference: payment, memo: null },
      T0,
    );
    expect(again.outcome).toBe("duplicate");
    const tooMuch = await stub.moveFunds(
      subject,
      {
        type: "adjustment",
        money: { amount: -501, currency: "usd" },
        reference: "adj_1",
        memo: "x",
      },
      T0,
    );
    expect(tooMuch).toEqual({
      outcome: "insufficient_funds",
      balance: { currency: "usd", available: 500, held: 0 },
    });
    const ok = await stub.moveFunds(
      subject,
      {
        type: "adjustment",
        money: { amount: -500, currency: "usd" },
        reference: "adj_2",
        memo: "x",
      },
      T0,
    );
    expect(ok.outcome).toBe("applied");
    expect(await stub.walletBalances()).toEqual([{ currency: "usd", available: 0, held: 0 }]);
  });
});

describe("Idempotency-Key", () => {
  it("a repeat within a day counts and holds nothing and answers the first reference", async () => {
    const { subject, stub } = await walletUser();
    await fund(stub, subject, 100);
    const first = await stub.consume(priced(subject, "run_1", { idempotencyKey: "k-1" }));
    expect(first).toMatchObject({ outcome: "allowed", holdId: "run_1" });
    const repeat = await stub.consume(
      priced(subject, "run_2", { idempotencyKey: "k-1", now: T0 + DAY - 1 }),
    );
    expect(repeat).toEqual({ outcome: "replay", reference: "run_1", keyId: null });
    expect(await stub.walletBalances()).toEqual([{ currency: "usd", available: 90, held: 10 }]);
    // After a day the key is forgotten: the same key is a new call.
    const later = await stub.consume(
      priced(subject, "run_3", { idempotencyKey: "k-1", now: T0 + DAY }),
    );
    expect(later).toMatchObject({ outcome: "allowed", holdId: "run_3" });
  });

  it("a refused call does not take the key: the retry after a top-up goes through", async () => {
    const { subject, stub } = await walletUser();
    const refused = await stub.consume(priced(subject, "run_1", { idempotencyKey: "k-2" }));
    expect(refused.outcome).toBe("insufficient_funds");
    await fund(stub, subject, FEE);
    const retried = await stub.consume(priced(subject, "run_2", { idempotencyKey: "k-2" }));
    expect(retried).toMatchObject({ outcome: "allowed", holdId: "run_2" });
  });
});

describe("the alarm", () => {
  it("flushes wallet movements to D1 within seconds and releases a stale hold", async () => {
    vi.setSystemTime(T0);
    const { userId, subject, stub } = await walletUser();
    await fund(stub, subject, 100);
    await stub.consume(priced(subject, "run_stale"));
    const due = await runInDurableObject(stub, (_o, state) => state.storage.getAlarm());
    expect(due).toBe(T0 + 2_000);

    vi.setSystemTime(T0 + 2_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await d1Ledger(userId)).map((e) => e.type)).toEqual(["top_up", "hold"]);
    const copy = () =>
      env.DB.prepare("select currency, available, held from wallet_balances where user_id = ?")
        .bind(userId)
        .all();
    expect((await copy()).results).toEqual([{ currency: "usd", available: 90, held: 10 }]);
    // Flushing again inserts nothing twice.
    await runInDurableObject(stub, (object) => object.flush(T0 + 3_000));
    expect(await d1Ledger(userId)).toHaveLength(2);
    // The next alarm is the hold's expiry (the hour's usage flush comes later).
    const next = await runInDurableObject(stub, (_o, state) => state.storage.getAlarm());
    expect(next).toBe(T0 + HOLD_TTL);
    expect(HOLD_TTL).toBe(HOUR);

    vi.setSystemTime(T0 + HOLD_TTL);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await holdsIn(stub)).toBe(0);
    const balances = await stub.walletBalances();
    expect(balances).toEqual([{ currency: "usd", available: 100, held: 0 }]);
    const ledger = await ledgerOf(stub);
    expect(ledger.at(-1)).toMatchObject({
      type: "release",
      reference: "run_stale",
      memo: "expired",
    });
    expect(await d1Ledger(userId)).toEqual(ledger);
    expect((await copy()).results).toEqual([{ currency: "usd", available: 100, held: 0 }]);
    expectLedgerConsistent(ledger, balances);
  });
});

describe("the ledger invariant", () => {
  it("holds through a mix of movements, in the object and in D1's copy", async () => {
    vi.setSystemTime(T0);
    const { userId, subject, stub } = await walletUser();
    await fund(stub, subject, 1_000);
    await stub.moveFunds(
      subject,
      { type: "top_up", money: { amount: 700, currency: "eur" }, reference: "pi_eur", memo: null },
      T0,
    );
    const runs = Array.from({ length: 30 }, (_, i) => `run_${i}`);
    await Promise.all(
      runs.map((ref, i) =>
        stub.consume(
          priced(subject, ref, { hold: { amount: 7 + i, currency: i % 3 ? "usd" : "eur" } }),
        ),
      ),
    );
    await Promise.all(
      runs.map((ref, i) =>
        i % 4 === 0
          ? stub.releaseHold(subject, ref, T0 + 1)
          : stub.captureHold(subject, ref, T0 + 1),
      ),
    );
    await stub.moveFunds(
      subject,
      { type: "refund", money: { amount: -200, currency: "usd" }, reference: "re_1", memo: null },
      T0 + 2,
    );
    await stub.moveFunds(
      subject,
      {
        type: "adjustment",
        money: { amount: 55, currency: "eur" },
        reference: "adj_1",
        memo: "goodwill",
      },
      T0 + 2,
    );
    await stub.consume(priced(subject, "run_open", { hold: { amount: 40, currency: "usd" } }));
    const balances = await stub.walletBalances();
    expect(balances.find((b) => b.currency === "usd")?.held).toBe(40);
    const ledger = await ledgerOf(stub);
    expectLedgerConsistent(ledger, balances);

    vi.setSystemTime(T0 + 5_000);
    await runDurableObjectAlarm(stub);
    expect(await d1Ledger(userId)).toEqual(ledger);
  });
});
