// Idempotency-Keys of admitted calls: a repeat from the same user within a day counts and holds
// nothing and is answered with the first call's reference, so a client's retry is one charge.
import { DAY } from "../lib/time";

export const IDEMPOTENCY_TTL = DAY;

export class Replays {
  constructor(private readonly sql: SqlStorage) {}

  /** The reference of the first call that presented this key, while the key is live. */
  find(key: string, now: number): string | null {
    const row = this.sql
      .exec<{ reference: string; expires_at: number }>(
        "SELECT reference, expires_at FROM idempotency_keys WHERE key = ?",
        key,
      )
      .toArray()[0];
    return row && row.expires_at > now ? row.reference : null;
  }

  remember(key: string, reference: string, now: number): void {
    this.sql.exec(
      "INSERT INTO idempotency_keys (key, reference, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET reference = excluded.reference, expires_at = excluded.expires_at",
      key,
      reference,
      now + IDEMPOTENCY_TTL,
    );
  }

  prune(now: number): void {
    this.sql.exec("DELETE FROM idempotency_keys WHERE expires_at <= ?", now);
  }
}
