// The user's live API keys, by hash: a key is verified here, in the same call that counts the
// request, with no D1 query. Each use is stamped here and reaches D1's `api_keys.last_used_at`
// with the hourly flush, so the hot path writes nothing to D1.
import { sql as drizzleSql } from "drizzle-orm";
import type { Db, Statement } from "../db";
import { apiKeys } from "../db/schema";
import type { LiveKey } from "../policy/policy";

/** A key used since its last use was written to D1. */
export interface KeyUse {
  id: string;
  last_used_at: number;
}

export class ApiKeys {
  /**
   * Bumped by every pushed key change, so a D1 read that started before the push (load,
   * reconcile) never puts back a key the push removed.
   */
  version = 0;

  constructor(private readonly sql: SqlStorage) {}

  /** A pushed new key. */
  add(key: LiveKey): void {
    this.version++;
    this.upsert(key);
  }

  /** A pushed revocation: the key fails from the next request on. */
  remove(hash: string): void {
    this.version++;
    this.sql.exec("DELETE FROM api_keys WHERE hash = ?", hash);
  }

  /** Makes the held keys exactly D1's live ones, keeping last-use times of the survivors. */
  replace(keys: readonly LiveKey[]): void {
    const live = new Set(keys.map((k) => k.hash));
    for (const row of this.sql.exec<{ hash: string }>("SELECT hash FROM api_keys").toArray()) {
      if (!live.has(row.hash)) this.sql.exec("DELETE FROM api_keys WHERE hash = ?", row.hash);
    }
    for (const key of keys) this.upsert(key);
  }

  /** The key's id when it is live, recording its use; null when unknown or expired. */
  use(hash: string, now: number): string | null {
    const row = this.sql
      .exec<{ id: string; expires_at: number | null }>(
        "SELECT id, expires_at FROM api_keys WHERE hash = ?",
        hash,
      )
      .toArray()[0];
    if (!row || (row.expires_at !== null && row.expires_at <= now)) return null;
    this.sql.exec("UPDATE api_keys SET last_used_at = ? WHERE hash = ?", now, hash);
    return row.id;
  }

  /** Each held key's last use, fresher than D1's between flushes. */
  usage(): { id: string; last_used_at: number | null }[] {
    return this.sql
      .exec<{ id: string; last_used_at: number | null }>("SELECT id, last_used_at FROM api_keys")
      .toArray();
  }

  /** Uses not yet written to D1. */
  unflushed(): KeyUse[] {
    return this.sql
      .exec<{ id: string; last_used_at: number }>(
        "SELECT id, last_used_at FROM api_keys WHERE last_used_at IS NOT NULL AND last_used_at IS NOT flushed_last_used_at",
      )
      .toArray();
  }

  /** D1 writes for these uses; max() keeps a later time D1 may already hold. */
  statements(db: Db, uses: readonly KeyUse[]): Statement[] {
    return uses.map((k) =>
      db
        .update(apiKeys)
        .set({ lastUsedAt: drizzleSql`max(coalesce(${apiKeys.lastUsedAt}, 0), ${k.last_used_at})` })
        .where(drizzleSql`${apiKeys.id} = ${k.id}`),
    );
  }

  /** Called once D1 holds these uses, so the next flush skips them. */
  markFlushed(uses: readonly KeyUse[]): void {
    for (const k of uses) {
      this.sql.exec(
        "UPDATE api_keys SET flushed_last_used_at = ? WHERE id = ?",
        k.last_used_at,
        k.id,
      );
    }
  }

  private upsert(key: LiveKey): void {
    this.sql.exec(
      "INSERT INTO api_keys (hash, id, expires_at) VALUES (?, ?, ?) ON CONFLICT (hash) DO UPDATE SET id = excluded.id, expires_at = excluded.expires_at",
      key.hash,
      key.id,
      key.expiresAt,
    );
  }
}
