// The wallet's way to D1: ledger entries inserted once (by id: a repeated flush inserts nothing)
// and each balance as of the last entry flushed (absolute values, never moved back to an older
// state), so D1's balances always match D1's ledger.
import { sql } from "drizzle-orm";
import type { Db, Statement } from "../db";
import { walletBalances, walletLedger } from "../db/schema";
import type { LedgerEntry } from "./messages";

/** Entries per alarm run; more left over are flushed by the next run, moments later. */
export const LEDGER_FLUSH_BATCH = 200;

export function ledgerStatements(
  db: Db,
  userId: string,
  entries: readonly (LedgerEntry & { seq: number })[],
  now: number,
): Statement[] {
  const inserts = entries.map((e) =>
    db
      .insert(walletLedger)
      .values({
        id: e.id,
        userId,
        seq: e.seq,
        type: e.type,
        amount: e.amount,
        currency: e.currency,
        availableAfter: e.available_after,
        heldAfter: e.held_after,
        reference: e.reference,
        memo: e.memo,
        createdAt: e.created_at,
      })
      .onConflictDoNothing({ target: walletLedger.id }),
  );
  // Each currency's balance as of its last entry in this batch: D1's balances and ledger agree.
  const latest = new Map(entries.map((e) => [e.currency, e]));
  const upserts = [...latest.values()].map((e) =>
    db
      .insert(walletBalances)
      .values({
        userId,
        currency: e.currency,
        available: e.available_after,
        held: e.held_after,
        seq: e.seq,
        updatedAt: now,
      })
      .onConflictDoUpdate({
        target: [walletBalances.userId, walletBalances.currency],
        set: { available: e.available_after, held: e.held_after, seq: e.seq, updatedAt: now },
        setWhere: sql`${walletBalances.seq} <= ${e.seq}`,
      }),
  );
  return [...inserts, ...upserts];
}
