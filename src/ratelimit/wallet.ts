// The user's wallet, inside their RateLimiter object: balances per currency (available and
// held), holds keyed by reference, and the append-only ledger. Every method is synchronous
// SQLite, so a balance check and the hold it allows are one step with the request's windows:
// concurrent priced calls can never overdraw. Balances never go negative.
import type { LedgerType } from "../db/schema";
import { newId } from "../lib/ids";
import { HOUR } from "../lib/time";
import { LowBalance } from "./low-balance";
import type { LedgerEntry, Money, Movement, MovementResult, WalletBalance } from "./messages";

/**
 * A hold neither captured nor released within this long is released by the alarm, so money is
 * never stuck: an hour is far past any action's timeout (they are seconds to minutes).
 */
export const HOLD_TTL = HOUR;

type HoldRow = {
  reference: string;
  currency: string;
  amount: number;
};

type LedgerRow = LedgerEntry & { seq: number };

const ENTRY_COLUMNS =
  "seq, id, type, amount, currency, available_after, held_after, reference, memo, created_at";

export class Wallet {
  readonly lowBalance: LowBalance;

  constructor(private readonly sql: SqlStorage) {
    this.lowBalance = new LowBalance(sql);
  }

  balance(currency: string): WalletBalance {
    const row = this.sql
      .exec<WalletBalance>(
        "SELECT currency, available, held FROM wallet_balances WHERE currency = ?",
        currency,
      )
      .toArray()[0];
    return row ?? { currency, available: 0, held: 0 };
  }

  balances(): WalletBalance[] {
    return this.sql
      .exec<WalletBalance>(
        "SELECT currency, available, held FROM wallet_balances ORDER BY currency",
      )
      .toArray();
  }

  /** Whether a hold or a settled movement already used this reference (one reference, one hold). */
  isHeld(reference: string): boolean {
    return this.findEntry("hold", reference) !== null;
  }

  /** Moves the price from available to held; the caller checked that it fits. */
  hold(reference: string, price: Money, now: number): LedgerEntry {
    this.sql.exec(
      "INSERT INTO wallet_holds (reference, currency, amount, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
      reference,
      price.currency,
      price.amount,
      now,
      now + HOLD_TTL,
    );
    const before = this.balance(price.currency);
    return this.append("hold", -price.amount, price.currency, before, -price.amount, price.amount, {
      reference,
      memo: null,
      now,
    });
  }

  /** Settles a hold: the price leaves the wallet. Unknown or settled references: null. */
  capture(reference: string, now: number): LedgerEntry | null {
    const hold = this.takeHold(reference);
    if (!hold) return null;
    const before = this.balance(hold.currency);
    return this.append("capture", -hold.amount, hold.currency, before, 0, -hold.amount, {
      reference,
      memo: null,
      now,
    });
  }

  /** Gives a hold back to the available balance. Unknown or settled references: null. */
  release(reference: string, now: number, memo: string | null = null): LedgerEntry | null {
    const hold = this.takeHold(reference);
    if (!hold) return null;
    const before = this.balance(hold.currency);
    return this.append("release", hold.amount, hold.currency, before, hold.amount, -hold.amount, {
      reference,
      memo,
      now,
    });
  }

  /** Releases every hold past its expiry; answers how many. */
  expireHolds(now: number): number {
    const stale = this.sql
      .exec<{ reference: string }>("SELECT reference FROM wallet_holds WHERE expires_at <= ?", now)
      .toArray();
    for (const { reference } of stale) this.release(reference, now, "expired");
    return stale.length;
  }

  /** Whether a hold is open: placed, neither settled nor expired at `now`. */
  holdOpen(reference: string, now: number): boolean {
    return (
      this.sql
        .exec("SELECT 1 FROM wallet_holds WHERE reference = ? AND expires_at > ?", reference, now)
        .toArray().length > 0
    );
  }

  /** When the oldest open hold expires; null when none is open. */
  nextHoldExpiry(): number | null {
    return this.sql
      .exec<{ at: number | null }>("SELECT min(expires_at) AS at FROM wallet_holds")
      .one().at;
  }

  /**
   * A credit (amount > 0) or debit (amount < 0) of the available balance, at most once per type
   * and reference (a provider payment id, a refund id, an adjustment id): a repeat answers the
   * first entry. A debit larger than the available balance is refused and writes nothing.
   */
  move({ type, money, reference, memo }: Movement, now: number): MovementResult {
    const earlier = this.findEntry(type, reference);
    if (earlier) return { outcome: "duplicate", entry: earlier };
    const before = this.balance(money.currency);
    if (before.available + money.amount < 0)
      return { outcome: "insufficient_funds", balance: before };
    const entry = this.append(type, money.amount, money.currency, before, money.amount, 0, {
      reference,
      memo,
      now,
    });
    return { outcome: "applied", entry };
  }

  /** The newest entries first, before a sequence number (exclusive) when given. */
  entries(limit: number, beforeSeq: number | null = null): LedgerRow[] {
    return this.sql
      .exec<LedgerRow>(
        `SELECT ${ENTRY_COLUMNS} FROM wallet_ledger WHERE seq < ? ORDER BY seq DESC LIMIT ?`,
        beforeSeq ?? Number.MAX_SAFE_INTEGER,
        limit,
      )
      .toArray();
  }

  /** Entries D1 does not hold yet, oldest first. */
  unflushed(limit: number): LedgerRow[] {
    return this.sql
      .exec<LedgerRow>(
        `SELECT ${ENTRY_COLUMNS} FROM wallet_ledger WHERE flushed = 0 ORDER BY seq LIMIT ?`,
        limit,
      )
      .toArray();
  }

  hasUnflushed(): boolean {
    return (
      this.sql
        .exec<{ n: number }>("SELECT count(*) AS n FROM wallet_ledger WHERE flushed = 0")
        .one().n > 0
    );
  }

  /** Called once D1 holds the entries up to this sequence number. */
  markFlushed(throughSeq: number): void {
    this.sql.exec(
      "UPDATE wallet_ledger SET flushed = 1 WHERE flushed = 0 AND seq <= ?",
      throughSeq,
    );
  }

  private findEntry(type: LedgerType, reference: string): LedgerEntry | null {
    const row = this.sql
      .exec<LedgerRow>(
        `SELECT ${ENTRY_COLUMNS} FROM wallet_ledger WHERE type = ? AND reference = ?`,
        type,
        reference,
      )
      .toArray()[0];
    return row ? withoutSeq(row) : null;
  }

  private takeHold(reference: string): HoldRow | null {
    const hold = this.sql
      .exec<HoldRow>(
        "SELECT reference, currency, amount FROM wallet_holds WHERE reference = ?",
        reference,
      )
      .toArray()[0];
    if (!hold) return null;
    this.sql.exec("DELETE FROM wallet_holds WHERE reference = ?", reference);
    return hold;
  }

  /**
   * Writes the entry and the balance after it (never negative: SQLite's CHECK refuses that); an
   * entry taking available below the user's low-balance threshold records the crossing with it.
   */
  private append(
    type: LedgerType,
    amount: number,
    currency: string,
    before: WalletBalance,
    availableDelta: number,
    heldDelta: number,
    at: { reference: string; memo: string | null; now: number },
  ): LedgerEntry {
    const entry: LedgerEntry = {
      id: newId("txn"),
      type,
      amount,
      currency,
      available_after: before.available + availableDelta,
      held_after: before.held + heldDelta,
      reference: at.reference,
      memo: at.memo,
      created_at: at.now,
    };
    this.sql.exec(
      "INSERT INTO wallet_balances (currency, available, held) VALUES (?, ?, ?) ON CONFLICT (currency) DO UPDATE SET available = excluded.available, held = excluded.held",
      currency,
      entry.available_after,
      entry.held_after,
    );
    const { seq } = this.sql
      .exec<{ seq: number }>(
        "INSERT INTO wallet_ledger (id, type, amount, currency, available_after, held_after, reference, memo, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq",
        entry.id,
        entry.type,
        entry.amount,
        entry.currency,
        entry.available_after,
        entry.held_after,
        entry.reference,
        entry.memo,
        entry.created_at,
      )
      .one();
    this.lowBalance.observe(seq, currency, before.available, entry.available_after, at.now);
    return entry;
  }
}

function withoutSeq(row: LedgerRow): LedgerEntry {
  const { seq: _seq, ...entry } = row;
  return entry;
}
