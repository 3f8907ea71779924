// What the wallet tests share: a user whose object holds a wallet, money moved straight into it
// (as a confirmed top-up does), priced consumes, and the ledger read back from the object.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { SETTLED_LEDGER_TYPES } from "../src/db/schema";
import { MINUTE } from "../src/lib/time";
import { userSubject } from "../src/ratelimit/client";
import type { ConsumeRequest, LedgerEntry } from "../src/ratelimit/messages";
import { insertSubscription, insertUser } from "./fixtures";
import { limiterStub } from "./helpers";

/** A quiet moment: the first second of a month. */
export const T0 = Date.parse("2033-05-01T00:00:00Z");
export const FEE = 10;

/** A user on the pro plan (200 a minute), in D1, and their object. */
export async function walletUser() {
  const user = await insertUser();
  await insertSubscription(user.id);
  const subject = userSubject(user.id);
  return { userId: user.id, subject, stub: limiterStub(subject) };
}

export type WalletStub = ReturnType<typeof limiterStub>;

/** Money in, as a confirmed top-up puts it (keyed by a fresh payment id unless one is given). */
export async function fund(stub: WalletStub, subject: string, amount: number, now = T0) {
  const reference = `pi_${crypto.randomUUID()}`;
  const result = await stub.moveFunds(
    subject,
    { type: "top_up", money: { amount, currency: "usd" }, reference: reference, memo: null },
    now,
  );
  expect(result.outcome).toBe("applied");
  return reference;
}

/** A priced call: the action's own window (100 a minute unless given) and a FEE hold. */
export function priced(
  subject: string,
  reference: string,
  fields: Partial<NonNullable<ConsumeRequest["admission"]>> & { now?: number } = {},
): ConsumeRequest {
  const { now = T0, ...admission } = fields;
  return {
    subject,
    now,
    cost: 1,
    admission: {
      reference,
      window: { name: "action:test", limit: 100, windowMs: MINUTE },
      hold: { amount: FEE, currency: "usd" },
      ...admission,
    },
  };
}

/** A priced call of `amount` held and captured in the user's object: money spent. */
export async function spend(userId: string, amount: number, now = Date.now()): Promise<string> {
  const subject = userSubject(userId);
  const stub = limiterStub(subject);
  const reference = `run_${crypto.randomUUID()}`;
  const held = await stub.consume(
    priced(subject, reference, { now, hold: { amount, currency: "usd" } }),
  );
  expect(held.outcome).toBe("allowed");
  await stub.captureHold(subject, reference, now);
  return reference;
}

/** Every ledger entry in the object, oldest first. */
export async function ledgerOf(stub: WalletStub): Promise<LedgerEntry[]> {
  const rows = await stub.walletEntries(10_000, null);
  return rows.reverse().map(({ seq: _seq, ...entry }) => entry);
}

/**
 * The ledger invariant: per currency, the settled entries sum to the balance (available +
 * held), every entry's balance follows from the one before it, and nothing is ever negative.
 */
export function expectLedgerConsistent(
  entries: readonly LedgerEntry[],
  balances: readonly { currency: string; available: number; held: number }[],
) {
  const settled: readonly string[] = SETTLED_LEDGER_TYPES;
  for (const balance of balances) {
    const mine = entries.filter((e) => e.currency === balance.currency);
    const sum = mine.filter((e) => settled.includes(e.type)).reduce((s, e) => s + e.amount, 0);
    expect(sum).toBe(balance.available + balance.held);
    let available = 0;
    let held = 0;
    for (const e of mine) {
      if (e.type === "hold" || e.type === "release") {
        available += e.amount;
        held -= e.amount;
      } else if (e.type === "capture") held += e.amount;
      else available += e.amount;
      expect({ available, held }).toEqual({ available: e.available_after, held: e.held_after });
      expect(available).toBeGreaterThanOrEqual(0);
      expect(held).toBeGreaterThanOrEqual(0);
    }
    expect({ available, held }).toEqual({ available: balance.available, held: balance.held });
  }
}

/** The D1 copy of a user's ledger, oldest first, shaped like the object's entries. */
export async function d1Ledger(userId: string): Promise<LedgerEntry[]> {
  const rows = await env.DB.prepare(
    "select id, type, amount, currency, available_after, held_after, reference, memo, created_at from wallet_ledger where user_id = ? order by seq",
  )
    .bind(userId)
    .all<LedgerEntry>();
  return rows.results;
}

export async function holdsIn(stub: WalletStub): Promise<number> {
  return runInDurableObject(
    stub,
    (_object, state) =>
      state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM wallet_holds").one().n,
  );
}
