// The RateLimiter object from the inside: its schema migrations and its alarm, through the
// plugin's runInDurableObject / runDurableObjectAlarm rather than by calling its insides.
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { DAY, HOUR, MINUTE } from "../src/lib/time";
import { userSubject } from "../src/ratelimit/client";
import { MIGRATIONS, migrate, schemaVersion } from "../src/ratelimit/migrations";
import { api, limiterStub, signup } from "./helpers";

const T0 = Date.parse("2032-03-01T00:00:00Z");
const LIMITS = { minute: 10, hour: null, day: null, month: null };

/** A fresh object of its own: tests never share storage by accident. */
const fresh = (label: string) => limiterStub(`ip:${label}-${crypto.randomUUID()}`);

/** The schema every object had before versioning, as it was written then. */
const UNVERSIONED_SCHEMA = `
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
`;
const TABLES = ["state", "counters", "hourly", "api_keys", "revoked_sessions", "buckets"];

/** Every row of every table, to compare storage before and after. */
function dump(sql: SqlStorage): Record<string, unknown[]> {
  return Object.fromEntries(
    TABLES.map((t) => [t, sql.exec(`SELECT * FROM ${t} ORDER BY 1`).toArray()]),
  );
}

function applied(sql: SqlStorage): number[] {
  return sql
    .exec<{ version: number }>("SELECT version FROM _migrations ORDER BY version")
    .toArray()
    .map((r) => r.version);
}

describe("schema migrations", () => {
  it("DO SQLite refuses PRAGMA user_version, hence the _migrations table", async () => {
    const stub = fresh("pragma");
    await runInDurableObject(stub, (_object, state) => {
      expect(() => state.storage.sql.exec("PRAGMA user_version")).toThrow(/not authorized/);
    });
  });

  it("a fresh object ends at the latest version, each step recorded once", async () => {
    const stub = fresh("fresh");
    await runInDurableObject(stub, (_object, state) => {
      expect(schemaVersion(state.storage.sql)).toBe(MIGRATIONS.length);
      expect(applied(state.storage.sql)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    });
  });

  it("an object created before versioning migrates on start without losing data", async () => {
    const stub = fresh("legacy");
    const subject = "ip:legacy-object";
    const minuteStart = Math.floor(T0 / MINUTE) * MINUTE;
    await runInDurableObject(stub, (_object, state) => {
      const sql = state.storage.sql;
      // Back to storage as an unversioned object left it: old tables, data, no ledger.
      const tables = sql
        .exec<{ name: string }>(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'",
        )
        .toArray();
      for (const { name } of tables) sql.exec(`DROP TABLE ${name}`);
      sql.exec(UNVERSIONED_SCHEMA);
      sql.exec("INSERT INTO state VALUES ('subject', ?)", JSON.stringify(subject));
      sql.exec("INSERT INTO counters VALUES ('minute', ?, 7)", minuteStart);
      sql.exec("INSERT INTO hourly (hour, allowed, denied) VALUES (?, 7, 2)", T0);
      sql.exec("INSERT INTO api_keys (hash, id) VALUES ('h1', 'key_1')");
      sql.exec("INSERT INTO revoked_sessions VALUES ('ses_1', ?)", T0 + DAY);
      sql.exec("INSERT INTO buckets VALUES ('login:a@b.test', ?, 3)", minuteStart);
      expect(schemaVersion(sql)).toBe(0);
    });
    const before = await runInDurableObject(stub, (_object, state) => dump(state.storage.sql));

    // A new instance over the same storage: its constructor runs the migrations.
    await evictDurableObject(stub);
    await runInDurableObject(stub, (_object, state) => {
      expect(applied(state.storage.sql)).toEqual(MIGRATIONS.map((_, i) => i + 1));
      expect(dump(state.storage.sql)).toEqual(before);
    });
    // And the data is in force: 7 of the minute's 10 were already used.
    const used = await stub.consume({ subject, now: T0 + 1_000, cost: 3, limits: LIMITS });
    expect(used).toMatchObject({ outcome: "allowed" });
    expect(await stub.consume({ subject, now: T0 + 2_000, cost: 1, limits: LIMITS })).toMatchObject(
      { outcome: "limited" },
    );
    const revoked = await stub.consume({
      subject,
      now: T0 + 3_000,
      cost: 1,
      limits: LIMITS,
      credential: { kind: "session", sid: "ses_1" },
    });
    expect(revoked).toEqual({ outcome: "unauthenticated" });
  });

  it("re-running the migrations is a no-op", async () => {
    const stub = fresh("rerun");
    await stub.consume({ subject: "ip:rerun", now: T0, cost: 2, limits: LIMITS });
    await runInDurableObject(stub, (_object, state) => {
      const before = dump(state.storage.sql);
      expect(migrate(state.storage)).toBe(0);
      expect(migrate(state.storage)).toBe(0);
      expect(applied(state.storage.sql)).toEqual(MIGRATIONS.map((_, i) => i + 1));
      expect(dump(state.storage.sql)).toEqual(before);
    });
  });

  it("an appended step runs once on an existing object and keeps its rows", async () => {
    const stub = fresh("append");
    await stub.hit("login:x", 5, MINUTE, 2, T0);
    await runInDurableObject(stub, (_object, state) => {
      const steps = [...MIGRATIONS, "ALTER TABLE buckets ADD COLUMN note TEXT"];
      expect(migrate(state.storage, steps)).toBe(1);
      expect(migrate(state.storage, steps)).toBe(0);
      expect(schemaVersion(state.storage.sql)).toBe(steps.length);
      expect(state.storage.sql.exec("SELECT name, count, note FROM buckets").toArray()).toEqual([
        { name: "login:x", count: 2, note: null },
      ]);
    });
  });

  it("a step that fails leaves no trace and keeps the version where it was", async () => {
    const stub = fresh("failing");
    await runInDurableObject(stub, (_object, state) => {
      const steps = [
        ...MIGRATIONS,
        (sql: SqlStorage) => {
          sql.exec("CREATE TABLE half_done (x INTEGER)");
          throw new Error("step failed midway");
        },
      ];
      expect(() => migrate(state.storage, steps)).toThrow("step failed midway");
      expect(schemaVersion(state.storage.sql)).toBe(MIGRATIONS.length);
      const tables = state.storage.sql
        .exec("SELECT name FROM sqlite_master WHERE name = 'half_done'")
        .toArray();
      expect(tables).toEqual([]);
    });
  });
});

describe("the flush alarm", () => {
  it("is set when an hour gets counts and, once it closes, flushes it to D1", async () => {
    const start = T0 + 2 * HOUR + 10 * MINUTE;
    vi.setSystemTime(start);
    const user = await signup("alarm");
    const { key } = (
      await api<{ key: string }>("POST", "/v1/me/api-keys", {
        token: user.accessToken,
        body: { name: "alarmed" },
      })
    ).body;
    expect((await api("GET", "/v1/ping", { token: key })).status).toBe(200);
    const stub = limiterStub(userSubject(user.id));
    const hour = T0 + 2 * HOUR;
    const due = await runInDurableObject(stub, (_object, state) => state.storage.getAlarm());
    expect(due).toBe(hour + HOUR + 5_000);

    vi.setSystemTime(hour + HOUR + 5_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const rows = await env.DB.prepare(
      "select hour, allowed, denied from usage_hourly where subject = ?",
    )
      .bind(userSubject(user.id))
      .all();
    expect(rows.results).toHaveLength(1);
    expect(rows.results[0]).toMatchObject({ hour, denied: 0 });
    const lastUsed = await env.DB.prepare("select last_used_at from api_keys where user_id = ?")
      .bind(user.id)
      .first<{ last_used_at: number }>();
    expect(lastUsed?.last_used_at).toBe(start);
    // Nothing was counted in the new hour: no alarm is left to run.
    expect(await runDurableObjectAlarm(stub)).toBe(false);
  });
});
