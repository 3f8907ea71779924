import { DurableObject } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { openDb } from "../db";
import { isQuota } from "../db/plan-features";
import { apiKeys, type Standing, usageHourly } from "../db/schema";
import type { Env } from "../env";
import { DAY, HOUR } from "../lib/time";
import {
  type Counter,
  type Counters,
  evaluate,
  type Limits,
  WINDOW_NAMES,
  type WindowName,
  windowSpan,
} from "../lib/windows";
import { type LiveKey, liveApiKeys, loadUserPolicy, type SubjectPolicy } from "../policy/policy";
import type { BucketResult, ConsumeRequest, ConsumeResult, UsageSnapshot } from "./messages";

/** How long closed hours stay in the object (usage history reads them from here). */
const HISTORY_RETENTION = 35 * DAY;
/** The alarm fires shortly after an hour closes, to flush it. */
const FLUSH_DELAY = 5_000;

const SCHEMA = `
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

/**
 * One object per subject: exact counters for the minute, hour, day and month windows.
 *
 * Exactness comes from the object running one call at a time and from `consume` doing its
 * check and its writes with no `await` in between (SQLite storage calls are synchronous), so
 * concurrent requests are admitted strictly one after another and can never over-admit.
 */
export class RateLimiter extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private subject: string | null;
  private policy: SubjectPolicy | null;
  private counters: Counters = {};
  private loading: Promise<void> | null = null;
  /** Bumped by every pushed change, so a slower D1 load never overwrites newer pushed state. */
  private policyVersion = 0;
  /** Bumped by every pushed key change, for the same reason. */
  private keysVersion = 0;
  private alarmAt: number | null = null;
  /**
   * The latest time this object has counted at. Requests carry the Worker's clock, which can
   * lag another Worker's by a little: time here never runs backwards, so a late request is
   * counted in the current window and never rewinds a counter.
   */
  private clock = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(SCHEMA);
    this.subject = this.readState<string>("subject");
    this.policy = this.readState<SubjectPolicy>("policy");
    for (const row of this.sql.exec<{ window: string; start: number; count: number }>(
      "SELECT window, start, count FROM counters",
    )) {
      this.counters[row.window as WindowName] = { start: row.start, count: row.count };
      this.clock = Math.max(this.clock, row.start);
    }
    void ctx.blockConcurrencyWhile(async () => {
      this.alarmAt = await ctx.storage.getAlarm();
    });
  }

  private tick(now: number): number {
    this.clock = Math.max(this.clock, now);
    return this.clock;
  }

  // ---- the hot path -------------------------------------------------------------------------

  async consume(request: ConsumeRequest): Promise<ConsumeResult> {
    this.rememberSubject(request.subject);
    if (!request.limits) await this.ensurePolicy(request.now);

    // From here to the return: no await. Check and count are one indivisible step.
    const now = this.tick(request.now);
    const { cost } = request;
    let keyId: string | null = null;
    const policy = this.policy;
    if (request.credential?.kind === "session") {
      if (this.isSessionRevoked(request.credential.sid, now)) return { outcome: "unauthenticated" };
    } else if (request.credential?.kind === "api_key") {
      keyId = this.useApiKey(request.credential.hash, now);
      if (!keyId) return { outcome: "unauthenticated" };
    }
    if (policy?.accountActive === false) return { outcome: "account_disabled" };

    const standing: Standing = request.limits ? "good" : (policy?.standing ?? "good");
    const billingAnchor = request.limits ? null : (policy?.billingAnchor ?? null);
    const limits = request.limits ?? this.effectiveLimits();

    if (standing === "suspended" && !request.allowSuspended) {
      const view = evaluate(limits, this.counters, 0, now, billingAnchor);
      this.recordHour(now, 0, cost);
      this.scheduleFlush(now);
      return {
        outcome: "payment_required",
        standing,
        windows: view.windows,
        violations: [],
        keyId,
      };
    }

    const result = evaluate(limits, this.counters, cost, now, billingAnchor);
    if (result.allowed) {
      for (const name of WINDOW_NAMES) this.writeCounter(name, result.next[name]);
      this.recordHour(now, cost, 0);
    } else {
      this.recordHour(now, 0, cost);
    }
    this.scheduleFlush(now);
    return {
      outcome: result.allowed ? "allowed" : "limited",
      standing,
      windows: result.windows,
      violations: result.violations,
      keyId,
    };
  }

  /**
   * A named fixed-window counter, for brute-force protection (attempts per email…). A positive
   * cost is taken only if it fits under `limit` (null: always); a negative cost gives back what
   * an earlier call took in the same window (a login that turned out right).
   */
  hit(
    name: string,
    limit: number | null,
    windowMs: number,
    cost: number,
    at: number,
  ): BucketResult {
    const now = this.tick(at);
    const start = Math.floor(now / windowMs) * windowMs;
    const row = this.sql
      .exec<{ start: number; count: number }>(
        "SELECT start, count FROM buckets WHERE name = ?",
        name,
      )
      .toArray()[0];
    const used = row && row.start === start ? row.count : 0;
    const resetAt = start + windowMs;
    if (cost > 0 && limit !== null && used + cost > limit) {
      return { allowed: false, name, limit, used, reset_at: resetAt };
    }
    const next = Math.max(0, used + cost);
    this.sql.exec(
      "INSERT INTO buckets (name, start, count) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET start = excluded.start, count = excluded.count",
      name,
      start,
      next,
    );
    return { allowed: true, name, limit, used: next, reset_at: resetAt };
  }

  /**
   * A metered quota from the plan's features (`exports: {limit, window}`), counted exactly like
   * the rate windows: taken only when it fits, the month window following the billing anchor.
   * A feature the plan lacks has a limit of 0.
   */
  async meter(subject: string, name: string, cost: number, at: number): Promise<BucketResult> {
    this.rememberSubject(subject);
    await this.ensurePolicy(at);
    const now = this.tick(at);
    const quota = this.policy?.features[name];
    const window = isQuota(quota) ? quota.window : "month";
    const limit = isQuota(quota) ? quota.limit : 0;
    const span = windowSpan(window, now, this.policy?.billingAnchor ?? null);
    const key = `quota:${name}`;
    const row = this.sql
      .exec<{ start: number; count: number }>(
        "SELECT start, count FROM buckets WHERE name = ?",
        key,
      )
      .toArray()[0];
    const used = row && row.start === span.start ? row.count : 0;
    if (used + cost > limit) return { allowed: false, name, limit, used, reset_at: span.end };
    this.sql.exec(
      "INSERT INTO buckets (name, start, count) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET start = excluded.start, count = excluded.count",
      key,
      span.start,
      used + cost,
    );
    return { allowed: true, name, limit, used: used + cost, reset_at: span.end };
  }

  // ---- pushed changes -----------------------------------------------------------------------

  /** New plan limits, features, standing or billing anchor: in force on the next request. */
  async configure(subject: string, patch: Partial<SubjectPolicy>, now: number): Promise<void> {
    this.rememberSubject(subject);
    await this.ensurePolicy(now);
    if (!this.policy) return;
    this.policyVersion++;
    this.policy = { ...this.policy, ...patch };
    this.writeState("policy", this.policy);
  }

  addApiKey(subject: string, key: LiveKey): void {
    this.rememberSubject(subject);
    this.keysVersion++;
    this.sql.exec(
      "INSERT INTO api_keys (hash, id, expires_at) VALUES (?, ?, ?) ON CONFLICT (hash) DO UPDATE SET id = excluded.id, expires_at = excluded.expires_at",
      key.hash,
      key.id,
      key.expiresAt,
    );
  }

  removeApiKey(hash: string): void {
    this.keysVersion++;
    this.sql.exec("DELETE FROM api_keys WHERE hash = ?", hash);
  }

  /** Access tokens of these sessions stop working now; `until` is when they expire anyway. */
  revokeSessions(sessionIds: string[], until: number): void {
    for (const sid of sessionIds) {
      this.sql.exec(
        "INSERT INTO revoked_sessions (sid, until) VALUES (?, ?) ON CONFLICT (sid) DO UPDATE SET until = max(until, excluded.until)",
        sid,
        until,
      );
    }
  }

  /** Sets the named windows (all by default) back to zero. */
  reset(windows: WindowName[] = [...WINDOW_NAMES]): void {
    for (const name of windows) {
      delete this.counters[name];
      this.sql.exec("DELETE FROM counters WHERE window = ?", name);
    }
  }

  // ---- reads --------------------------------------------------------------------------------

  async snapshot(subject: string, now: number, days = 30): Promise<UsageSnapshot> {
    this.rememberSubject(subject);
    await this.ensurePolicy(now);
    const view = evaluate(
      this.effectiveLimits(),
      this.counters,
      0,
      now,
      this.policy?.billingAnchor ?? null,
    );
    const since = Math.floor(now / DAY) * DAY - (days - 1) * DAY;
    const history = this.sql
      .exec<{ day: number; allowed: number; denied: number }>(
        `SELECT (hour / ${DAY}) * ${DAY} AS day, sum(allowed) AS allowed, sum(denied) AS denied
         FROM hourly WHERE hour >= ? GROUP BY day ORDER BY day`,
        since,
      )
      .toArray()
      .map((r) => ({
        date: new Date(r.day).toISOString().slice(0, 10),
        allowed: r.allowed,
        denied: r.denied,
      }));
    return {
      subject: this.subject,
      plan: this.policy?.planCode ?? null,
      standing: this.policy?.standing ?? "good",
      windows: view.windows,
      history,
    };
  }

  keyUsage(): { id: string; last_used_at: number | null }[] {
    return this.sql
      .exec<{ id: string; last_used_at: number | null }>("SELECT id, last_used_at FROM api_keys")
      .toArray();
  }

  // ---- flushing to D1 -----------------------------------------------------------------------

  override async alarm(): Promise<void> {
    this.alarmAt = null;
    await this.flush(Date.now());
  }

  /**
   * Writes closed hours (absolute values) and key last-use times to D1 and prunes old state.
   * Running it twice changes nothing. Only user subjects are flushed: anonymous (ip:) history
   * stays in its object, so D1 grows with users × hours and never with traffic.
   */
  async flush(now: number): Promise<{ hours: number; keys: number }> {
    const currentHour = Math.floor(now / HOUR) * HOUR;
    const hours = this.sql
      .exec<{ hour: number; allowed: number; denied: number }>(
        "SELECT hour, allowed, denied FROM hourly WHERE hour < ? AND (allowed != flushed_allowed OR denied != flushed_denied)",
        currentHour,
      )
      .toArray();
    const keys = this.sql
      .exec<{ id: string; last_used_at: number }>(
        "SELECT id, last_used_at FROM api_keys WHERE last_used_at IS NOT NULL AND last_used_at IS NOT flushed_last_used_at",
      )
      .toArray();
    const subject = this.subject;
    if (subject?.startsWith("user:") && (hours.length > 0 || keys.length > 0)) {
      const db = openDb(this.env.DB);
      const statements = [
        ...hours.map((h) =>
          db
            .insert(usageHourly)
            .values({ subject, hour: h.hour, allowed: h.allowed, denied: h.denied, updatedAt: now })
            .onConflictDoUpdate({
              target: [usageHourly.subject, usageHourly.hour],
              set: { allowed: h.allowed, denied: h.denied, updatedAt: now },
            }),
        ),
        ...keys.map((k) =>
          db
            .update(apiKeys)
            .set({ lastUsedAt: sql`max(coalesce(${apiKeys.lastUsedAt}, 0), ${k.last_used_at})` })
            .where(sql`${apiKeys.id} = ${k.id}`),
        ),
      ];
      const [first, ...rest] = statements;
      if (first) await db.batch([first, ...rest]);
    }
    for (const h of hours) {
      this.sql.exec(
        "UPDATE hourly SET flushed_allowed = ?, flushed_denied = ? WHERE hour = ?",
        h.allowed,
        h.denied,
        h.hour,
      );
    }
    for (const k of keys) {
      this.sql.exec(
        "UPDATE api_keys SET flushed_last_used_at = ? WHERE id = ?",
        k.last_used_at,
        k.id,
      );
    }
    this.sql.exec(
      "DELETE FROM hourly WHERE hour < ? AND allowed = flushed_allowed AND denied = flushed_denied",
      now - HISTORY_RETENTION,
    );
    this.sql.exec("DELETE FROM revoked_sessions WHERE until < ?", now);
    if (subject?.startsWith("user:")) await this.reconcile(subject.slice("user:".length), now);
    const open = this.sql
      .exec<{ n: number }>("SELECT count(*) AS n FROM hourly WHERE hour >= ?", currentHour)
      .one().n;
    if (open > 0) this.scheduleFlush(now);
    return { hours: hours.length, keys: keys.length };
  }

  // ---- internals ----------------------------------------------------------------------------

  private effectiveLimits(): Limits {
    const policy = this.policy;
    if (!policy) return { minute: 0, hour: 0, day: 0, month: 0 };
    return policy.standing === "restricted" ? policy.freeLimits : policy.limits;
  }

  private async ensurePolicy(now: number): Promise<void> {
    if (this.policy || !this.subject?.startsWith("user:")) return;
    await this.loadPolicy(now);
  }

  /** Reads the policy and live keys from D1; concurrent callers share one load. */
  private loadPolicy(now: number): Promise<void> {
    this.loading ??= (async () => {
      const userId = this.subject?.slice("user:".length) ?? "";
      const versionAtStart = this.policyVersion;
      const db = openDb(this.env.DB);
      const [policy, keys] = await Promise.all([
        loadUserPolicy(db, userId),
        liveApiKeys(db, userId, now),
      ]);
      // A push that arrived during the load is newer than what was read: keep the pushed fields.
      if (this.policyVersion === versionAtStart || !this.policy) {
        this.policy = policy;
        this.writeState("policy", policy);
      }
      this.replaceKeys(keys);
    })().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  /**
   * Re-reads the policy and live API keys from D1, the source of truth, so a push that failed
   * is healed within the hour. Off the hot path (alarm); a push during the read wins.
   */
  private async reconcile(userId: string, now: number): Promise<void> {
    const keysVersion = this.keysVersion;
    const policyVersion = this.policyVersion;
    const db = openDb(this.env.DB);
    const [keys, policy] = await Promise.all([
      liveApiKeys(db, userId, now),
      loadUserPolicy(db, userId),
    ]);
    if (this.keysVersion === keysVersion) this.replaceKeys(keys);
    if (this.policyVersion === policyVersion) {
      this.policy = policy;
      this.writeState("policy", policy);
    }
  }

  private replaceKeys(keys: LiveKey[]): void {
    const live = new Set(keys.map((k) => k.hash));
    for (const row of this.sql.exec<{ hash: string }>("SELECT hash FROM api_keys").toArray()) {
      if (!live.has(row.hash)) this.sql.exec("DELETE FROM api_keys WHERE hash = ?", row.hash);
    }
    for (const key of keys) {
      this.sql.exec(
        "INSERT INTO api_keys (hash, id, expires_at) VALUES (?, ?, ?) ON CONFLICT (hash) DO UPDATE SET id = excluded.id, expires_at = excluded.expires_at",
        key.hash,
        key.id,
        key.expiresAt,
      );
    }
  }

  private isSessionRevoked(sid: string, now: number): boolean {
    return (
      this.sql
        .exec("SELECT 1 FROM revoked_sessions WHERE sid = ? AND until >= ?", sid, now)
        .toArray().length > 0
    );
  }

  /** The key's id when it is live, recording its use; null when unknown or expired. */
  private useApiKey(hash: string, now: number): string | null {
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

  private writeCounter(name: WindowName, counter: Counter): void {
    this.counters[name] = counter;
    this.sql.exec(
      "INSERT INTO counters (window, start, count) VALUES (?, ?, ?) ON CONFLICT (window) DO UPDATE SET start = excluded.start, count = excluded.count",
      name,
      counter.start,
      counter.count,
    );
  }

  private recordHour(now: number, allowed: number, denied: number): void {
    const hour = Math.floor(now / HOUR) * HOUR;
    this.sql.exec(
      "INSERT INTO hourly (hour, allowed, denied) VALUES (?, ?, ?) ON CONFLICT (hour) DO UPDATE SET allowed = allowed + excluded.allowed, denied = denied + excluded.denied",
      hour,
      allowed,
      denied,
    );
  }

  /** Makes sure an alarm will flush the current hour once it closes. */
  private scheduleFlush(now: number): void {
    const due = Math.floor(now / HOUR) * HOUR + HOUR + FLUSH_DELAY;
    if (this.alarmAt !== null && this.alarmAt <= due) return;
    this.alarmAt = due;
    // The storage write is ordered before the response by the output gate; no await needed.
    void this.ctx.storage.setAlarm(due);
  }

  private rememberSubject(subject: string): void {
    if (this.subject === subject) return;
    this.subject = subject;
    this.writeState("subject", subject);
  }

  private readState<T>(key: string): T | null {
    const row = this.sql
      .exec<{ value: string }>("SELECT value FROM state WHERE key = ?", key)
      .toArray()[0];
    return row ? (JSON.parse(row.value) as T) : null;
  }

  private writeState(key: string, value: unknown): void {
    this.sql.exec(
      "INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      key,
      JSON.stringify(value),
    );
  }
}
