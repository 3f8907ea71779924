// The RateLimiter object's own SQLite schema, as an ordered list of steps. An object created
// before versioning already has step 1's tables, which is why step 1 only uses IF NOT EXISTS:
// it runs on such an object, finds everything in place, and records version 1.

/** One schema step: SQL (several statements allowed) or code, for a change SQL alone can't do. */
export type MigrationStep = string | ((sql: SqlStorage) => void);

/**
 * Append only: a step, once deployed, has run in live objects and is never edited. A new
 * column is a new step at the end (`ALTER TABLE … ADD COLUMN …`).
 */
export const MIGRATIONS: readonly MigrationStep[] = [
  // 1: the schema objects had before versioning, unchanged.
  `
  CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS counters (window TEXT PRIMARY KEY, start INTEGER NOT NULL, count INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS hourly (
    hour INTEGER PRIMARY KEY, allowed INTEGER NOT NULL DEFAULT 0, denied INTEGER NOT NULL DEFAULT 0,
    flushed_allowed INTEGER NOT NULL DEFAULT -1, flushed_denied INTEGER NOT NULL DEFAULT -1);
  CREATE TABLE IF NOT EXISTS api_keys (
    hash TEXT PRIMARY KEY, id TEXT NOT NULL, expires_at INTEGER,
    last_used_at INTEGER, flushed_last_used_at INTEGER);
  CREATE TABLE IF NOT EXISTS revoked_sessions (sid TEXT PRIMARY KEY, until INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS buckets (name TEXT PRIMARY KEY, start INTEGER NOT NULL, count INTEGER NOT NULL);
  `,
  // 2: the wallet (balances never negative, open holds, the append-only ledger) and the
  // Idempotency-Keys of admitted calls.
  `
  CREATE TABLE wallet_balances (
    currency TEXT PRIMARY KEY,
    available INTEGER NOT NULL CHECK (available >= 0),
    held INTEGER NOT NULL CHECK (held >= 0));
  CREATE TABLE wallet_holds (
    reference TEXT PRIMARY KEY, currency TEXT NOT NULL, amount INTEGER NOT NULL CHECK (amount > 0),
    created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
  CREATE INDEX wallet_holds_expiry ON wallet_holds (expires_at);
  CREATE TABLE wallet_ledger (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL,
    amount INTEGER NOT NULL, currency TEXT NOT NULL,
    available_after INTEGER NOT NULL, held_after INTEGER NOT NULL,
    reference TEXT NOT NULL, memo TEXT, created_at INTEGER NOT NULL,
    flushed INTEGER NOT NULL DEFAULT 0);
  CREATE UNIQUE INDEX wallet_ledger_type_reference ON wallet_ledger (type, reference);
  CREATE INDEX wallet_ledger_unflushed ON wallet_ledger (seq) WHERE flushed = 0;
  CREATE TABLE idempotency_keys (
    key TEXT PRIMARY KEY, reference TEXT NOT NULL, expires_at INTEGER NOT NULL);
  CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);
  CREATE TABLE wallet_auto_recharge (
    id INTEGER PRIMARY KEY CHECK (id = 1), enabled INTEGER NOT NULL, threshold INTEGER NOT NULL,
    amount INTEGER NOT NULL, currency TEXT NOT NULL, pending_reference TEXT,
    pending_amount INTEGER, pending_since INTEGER, requested INTEGER NOT NULL DEFAULT 0);
  `,
  // 3: low-balance alerts: the user's threshold per currency, and the crossings not yet queued
  // (named by the ledger entry that crossed).
  `
  CREATE TABLE wallet_low_balance (
    currency TEXT PRIMARY KEY, threshold INTEGER NOT NULL CHECK (threshold >= 1));
  CREATE TABLE wallet_low_alerts (
    seq INTEGER PRIMARY KEY, currency TEXT NOT NULL, threshold INTEGER NOT NULL,
    available INTEGER NOT NULL, at INTEGER NOT NULL);
  `,
];

/**
 * One row per applied step. Durable Object SQLite refuses `PRAGMA user_version`
 * (SQLITE_AUTH), so the version lives in a table of its own, outside every step.
 */
const LEDGER = "CREATE TABLE IF NOT EXISTS _migrations (version INTEGER PRIMARY KEY)";

/** The highest step applied to this storage; 0 when none is recorded. */
export function schemaVersion(sql: SqlStorage): number {
  sql.exec(LEDGER);
  return sql.exec<{ v: number | null }>("SELECT max(version) AS v FROM _migrations").one().v ?? 0;
}

/**
 * Brings the storage up to the last step and returns how many steps ran (0: already there).
 * Each step and the row recording it commit together, so a step that throws leaves the
 * version where it was and runs again the next time the object starts.
 */
export function migrate(
  storage: DurableObjectStorage,
  steps: readonly MigrationStep[] = MIGRATIONS,
): number {
  const from = schemaVersion(storage.sql);
  const pending = steps.slice(from);
  pending.forEach((step, index) => {
    storage.transactionSync(() => {
      if (typeof step === "string") storage.sql.exec(step);
      else step(storage.sql);
      storage.sql.exec("INSERT INTO _migrations (version) VALUES (?)", from + index + 1);
    });
  });
  return pending.length;
}
