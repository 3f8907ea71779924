// Low-balance alerts, inside the user's object: a threshold per currency the user chose, and the
// crossings waiting for the usage-alerts queue. Every ledger entry that takes `available` from at
// least the threshold to below it records one crossing, named by the entry's sequence number; the
// alarm sends what is recorded and forgets it once the queue took it (a failed send is retried by
// the next alarm, and the notification's dedupe key absorbs a resend).
import type { UsageAlertMessage, WalletLowAlertMessage } from "../env";
import type { LowBalanceChange, LowBalanceThreshold } from "./messages";

/** Crossings per alarm run (a queue batch holds at most 100 messages). */
const SEND_BATCH = 100;

type CrossingRow = Omit<WalletLowAlertMessage, "kind" | "user_id">;

export class LowBalance {
  constructor(private readonly sql: SqlStorage) {}

  thresholds(): LowBalanceThreshold[] {
    return this.sql
      .exec<LowBalanceThreshold>(
        "SELECT currency, threshold FROM wallet_low_balance ORDER BY currency",
      )
      .toArray();
  }

  /** Sets a currency's threshold, or clears it (null); in force from the next movement. */
  set({ currency, threshold }: LowBalanceChange): void {
    if (threshold === null) {
      this.sql.exec("DELETE FROM wallet_low_balance WHERE currency = ?", currency);
      return;
    }
    this.sql.exec(
      "INSERT INTO wallet_low_balance (currency, threshold) VALUES (?, ?) ON CONFLICT (currency) DO UPDATE SET threshold = excluded.threshold",
      currency,
      threshold,
    );
  }

  /** After the ledger entry `seq`: records a crossing when it took available below the threshold. */
  observe(seq: number, currency: string, before: number, after: number, now: number): void {
    if (after >= before) return;
    const row = this.sql
      .exec<{ threshold: number }>(
        "SELECT threshold FROM wallet_low_balance WHERE currency = ?",
        currency,
      )
      .toArray()[0];
    if (!row || before < row.threshold || after >= row.threshold) return;
    this.sql.exec(
      "INSERT INTO wallet_low_alerts (seq, currency, threshold, available, at) VALUES (?, ?, ?, ?, ?)",
      seq,
      currency,
      row.threshold,
      after,
      now,
    );
  }

  hasPending(): boolean {
    return this.sql.exec("SELECT 1 FROM wallet_low_alerts LIMIT 1").toArray().length > 0;
  }

  /** Hands the recorded crossings to the queue; those it took are forgotten. Never throws. */
  async send(queue: Queue<UsageAlertMessage>, userId: string): Promise<void> {
    const rows = this.sql
      .exec<CrossingRow>(
        "SELECT seq, currency, threshold, available, at FROM wallet_low_alerts ORDER BY seq LIMIT ?",
        SEND_BATCH,
      )
      .toArray();
    const last = rows.at(-1);
    if (!last) return;
    try {
      await queue.sendBatch(
        rows.map((row) => ({ body: { kind: "wallet_low", user_id: userId, ...row } })),
      );
      this.sql.exec("DELETE FROM wallet_low_alerts WHERE seq <= ?", last.seq);
    } catch (error) {
      console.error(
        JSON.stringify({
          msg: "low-balance alerts not queued",
          user: userId,
          error: String(error),
        }),
      );
    }
  }
}
