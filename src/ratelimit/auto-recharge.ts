// Auto-recharge settings and the one recharge in flight, inside the user's object: a capture that
// drops the available balance below the threshold starts a recharge once; no other starts until
// it is credited or fails (settle). The alarm hands it to the recharge queue, whose consumer
// charges the saved card; the provider's event credits it like a top-up.
import { DAY } from "../lib/time";
import type { AutoRechargeSettings, RechargeRequest, WalletBalance } from "./messages";

/** A recharge neither credited nor failed after this long is forgotten, so another can start. */
export const RECHARGE_TIMEOUT = DAY;

type Row = {
  enabled: number;
  threshold: number;
  amount: number;
  currency: string;
  pending_reference: string | null;
  pending_amount: number | null;
  pending_since: number | null;
  requested: number;
};

export class AutoRecharge {
  constructor(private readonly sql: SqlStorage) {}

  settings(): (AutoRechargeSettings & { pending: string | null }) | null {
    const row = this.row();
    if (!row) return null;
    return {
      enabled: row.enabled === 1,
      threshold: row.threshold,
      amount: row.amount,
      currency: row.currency,
      pending: row.pending_reference,
    };
  }

  /** New settings; a recharge in flight stays in flight. */
  configure(settings: AutoRechargeSettings): void {
    this.sql.exec(
      `INSERT INTO wallet_auto_recharge (id, enabled, threshold, amount, currency) VALUES (1, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET enabled = excluded.enabled, threshold = excluded.threshold,
         amount = excluded.amount, currency = excluded.currency`,
      settings.enabled ? 1 : 0,
      settings.threshold,
      settings.amount,
      settings.currency,
    );
  }

  /** After a capture: starts a recharge when the balance fell below the threshold and none is in flight. */
  check(balance: WalletBalance, reference: () => string, now: number): string | null {
    const row = this.row();
    if (row?.enabled !== 1 || row.currency !== balance.currency) return null;
    if (balance.available >= row.threshold) return null;
    if (row.pending_reference !== null && (row.pending_since ?? 0) + RECHARGE_TIMEOUT > now) {
      return null;
    }
    const started = reference();
    this.sql.exec(
      "UPDATE wallet_auto_recharge SET pending_reference = ?, pending_amount = ?, pending_since = ?, requested = 0 WHERE id = 1",
      started,
      row.amount,
      now,
    );
    return started;
  }

  /** The recharge in flight that the queue has not been given yet. */
  unrequested(): RechargeRequest | null {
    const row = this.row();
    if (!row?.pending_reference || row.requested === 1 || row.pending_amount === null) return null;
    return {
      reference: row.pending_reference,
      amount: row.pending_amount,
      currency: row.currency,
    };
  }

  markRequested(reference: string): void {
    this.sql.exec(
      "UPDATE wallet_auto_recharge SET requested = 1 WHERE pending_reference = ?",
      reference,
    );
  }

  /** The recharge was credited or failed: another may start. False when it was not in flight. */
  settle(reference: string): boolean {
    const row = this.row();
    if (row?.pending_reference !== reference) return false;
    this.sql.exec(
      "UPDATE wallet_auto_recharge SET pending_reference = NULL, pending_amount = NULL, pending_since = NULL, requested = 0 WHERE id = 1",
    );
    return true;
  }

  private row(): Row | null {
    return (
      this.sql.exec<Row>("SELECT * FROM wallet_auto_recharge WHERE id = 1").toArray()[0] ?? null
    );
  }
}
