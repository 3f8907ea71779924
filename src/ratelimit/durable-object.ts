import { DurableObject } from "cloudflare:workers";
import { openDb, runBatch } from "../db";
import { WINDOW_NAMES, type WindowName } from "../db/plan-features";
import type { Env } from "../env";
import { HOUR } from "../lib/time";
import type { LiveKey, SubjectPolicy } from "../policy/policy";
import { Admissions } from "./admission";
import { ApiKeys } from "./api-keys";
import { Buckets } from "./buckets";
import { RateWindows } from "./counters";
import type {
  AutoRechargeSettings,
  BucketResult,
  ConsumeRequest,
  ConsumeResult,
  LedgerEntry,
  LowBalanceChange,
  Movement,
  MovementResult,
  UsageSnapshot,
  WalletBalance,
} from "./messages";
import { migrate } from "./migrations";
import { PolicySync } from "./policy-sync";
import { Replays } from "./replays";
import { RevokedSessions } from "./sessions";
import { sendUsageAlerts, usageCrossings } from "./usage-alerts";
import { hourOf, UsageHistory } from "./usage-history";
import { WalletDesk } from "./wallet-desk";
import { LEDGER_FLUSH_BATCH, ledgerStatements } from "./wallet-flush";

/** The alarm fires shortly after an hour closes, to flush it. */
const FLUSH_DELAY = 5_000;
/** A wallet movement reaches D1's copy within seconds. */
export const WALLET_FLUSH_DELAY = 2_000;

/**
 * One object per subject: exact counters for the minute, hour, day and month windows, and
 * what else decides a request (live credentials, standing, quotas). The RPC methods delegate
 * to one module per responsibility, all over the object's SQLite storage.
 *
 * Exactness comes from the object running one call at a time and from `consume` doing its
 * check and its writes with no `await` in between (SQLite storage calls are synchronous), so
 * concurrent requests are admitted strictly one after another and can never over-admit.
 */
export class RateLimiter extends DurableObject<Env> {
  private readonly windows: RateWindows;
  private readonly buckets: Buckets;
  private readonly sessions: RevokedSessions;
  private readonly keys: ApiKeys;
  private readonly usage: UsageHistory;
  private readonly policy: PolicySync;
  private readonly desk: WalletDesk;
  private readonly replays: Replays;
  private readonly admissions: Admissions;
  private alarmAt: number | null = null;
  /** When the policy was last re-read from D1 (in memory: a restarted object re-reads once). */
  private reconciledAt = 0;
  /**
   * The latest time this object has counted at. Requests carry the Worker's clock, which can
   * lag another Worker's by a little: time here never runs backwards, so a late request is
   * counted in the current window and never rewinds a counter.
   */
  private clock: number;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Synchronous, like every SQLite call here: the schema is current before any call runs,
    // and the modules below read their tables right away.
    migrate(ctx.storage);
    const sql = ctx.storage.sql;
    this.windows = new RateWindows(sql);
    this.buckets = new Buckets(sql);
    this.sessions = new RevokedSessions(sql);
    this.keys = new ApiKeys(sql);
    this.usage = new UsageHistory(sql);
    this.policy = new PolicySync(sql, env.DB, this.keys);
    this.desk = new WalletDesk(sql, (now) => this.schedule(now + WALLET_FLUSH_DELAY));
    this.replays = new Replays(sql);
    this.admissions = new Admissions(this.windows, this.buckets, this.desk.wallet, this.replays);
    this.clock = this.windows.latestStart();
    void ctx.blockConcurrencyWhile(async () => {
      this.alarmAt = await ctx.storage.getAlarm();
    });
  }

  // ---- the hot path -------------------------------------------------------------------------

  async consume(request: ConsumeRequest): Promise<ConsumeResult> {
    this.policy.remember(request.subject);
    // Loaded once; only the first call after the object starts waits for D1.
    if (!request.limits && !this.policy.current) await this.policy.ensure(request.now);

    // From here to the return: no await. Check and count are one indivisible step.
    const now = this.tick(request.now);
    const credential = request.credential;
    let keyId: string | null = null;
    if (credential?.kind === "session") {
      if (this.sessions.isRevoked(credential.sid, now)) return { outcome: "unauthenticated" };
    } else if (credential?.kind === "api_key") {
      keyId = this.keys.use(credential.hash, now);
      if (!keyId) return { outcome: "unauthenticated" };
    }
    const policy = this.policy.current;
    if (policy?.accountActive === false) return { outcome: "account_disabled" };

    const admission = this.admissions.decide(request, policy, now);
    if (admission.outcome === "replay")
      return { ...admission, keyId, locale: policy?.locale ?? null };
    const allowed = admission.outcome === "allowed";
    // The plan's usage history: an account route's call (cost 0) is in neither column.
    if (request.cost > 0) {
      this.usage.record(now, allowed ? request.cost : 0, allowed ? 0 : request.cost);
    }
    this.scheduleFlush(now);
    if (admission.holdId) this.schedule(now + WALLET_FLUSH_DELAY);
    const userId = this.policy.userId;
    if (allowed && userId && !request.limits) {
      const alerts = usageCrossings(userId, admission.windows, request.cost);
      if (alerts.length > 0) this.ctx.waitUntil(sendUsageAlerts(this.env, alerts));
    }
    // A policy stored before locales existed has none until its next load.
    return { ...admission, keyId, locale: policy?.locale ?? null };
  }

  /** A named fixed-window counter, for brute-force protection (attempts per email…). */
  hit(name: string, limit: number | null, windowMs: number, cost: number, at: number) {
    return this.buckets.hit(name, limit, windowMs, cost, this.tick(at));
  }

  /** A metered quota from the plan's features, counted exactly like the rate windows. */
  async meter(subject: string, name: string, cost: number, at: number): Promise<BucketResult> {
    this.policy.remember(subject);
    await this.policy.ensure(at);
    return this.buckets.meter(name, this.policy.current, cost, this.tick(at));
  }

  // ---- the wallet ---------------------------------------------------------------------------

  /** Settles a hold (the price leaves the wallet); unknown or settled references: false. */
  captureHold(subject: string, reference: string, now: number): boolean {
    this.policy.remember(subject);
    return this.desk.capture(reference, this.tick(now));
  }

  /** Gives a hold back to the available balance; unknown or settled references: false. */
  releaseHold(subject: string, reference: string, now: number): boolean {
    this.policy.remember(subject);
    return this.desk.release(reference, this.tick(now));
  }

  holdOpen(reference: string, now: number): boolean {
    return this.desk.wallet.holdOpen(reference, now);
  }
  /** A credit or debit of the available balance, once per type and reference. */
  moveFunds(subject: string, movement: Movement, now: number): MovementResult {
    this.policy.remember(subject);
    return this.desk.move(movement, this.tick(now));
  }

  walletBalances(): WalletBalance[] {
    return this.desk.wallet.balances();
  }

  /** The ledger, newest first; `beforeSeq` pages back. */
  walletEntries(limit: number, beforeSeq: number | null): (LedgerEntry & { seq: number })[] {
    return this.desk.wallet.entries(limit, beforeSeq);
  }

  autoRecharge(): (AutoRechargeSettings & { pending: string | null }) | null {
    return this.desk.recharge.settings();
  }

  configureAutoRecharge(subject: string, settings: AutoRechargeSettings): void {
    this.policy.remember(subject);
    this.desk.configureRecharge(settings);
  }

  /** The low-balance thresholds, after setting (null threshold: clearing) one when asked. */
  lowBalance(change: LowBalanceChange | null) {
    return this.desk.lowBalance(change);
  }

  /** A recharge was credited or failed: another may start. */
  settleRecharge(reference: string): boolean {
    return this.desk.recharge.settle(reference);
  }

  // ---- pushed changes -----------------------------------------------------------------------

  /** New plan limits, features, standing or billing anchor: in force on the next request. */
  async configure(subject: string, patch: Partial<SubjectPolicy>, now: number): Promise<void> {
    this.policy.remember(subject);
    await this.policy.configure(patch, now);
  }

  addApiKey(subject: string, key: LiveKey): void {
    this.policy.remember(subject);
    this.keys.add(key);
  }

  removeApiKey(hash: string): void {
    this.keys.remove(hash);
  }

  /** Access tokens of these sessions stop working now; `until` is when they expire anyway. */
  revokeSessions(sessionIds: string[], until: number): void {
    this.sessions.revoke(sessionIds, until);
  }

  /** Sets the named windows (all by default) back to zero. */
  reset(windows: WindowName[] = [...WINDOW_NAMES]): void {
    this.windows.reset(windows);
  }

  // ---- reads --------------------------------------------------------------------------------

  async snapshot(subject: string, now: number, days = 30): Promise<UsageSnapshot> {
    this.policy.remember(subject);
    await this.policy.ensure(now);
    const policy = this.policy.current;
    return {
      subject: this.policy.subject,
      plan: policy?.planCode ?? null,
      standing: policy?.standing ?? "good",
      windows: this.windows.view(policy, now),
      history: this.usage.days(now, days),
    };
  }

  keyUsage(): { id: string; last_used_at: number | null }[] {
    return this.keys.usage();
  }

  // ---- flushing to D1 -----------------------------------------------------------------------

  override async alarm(): Promise<void> {
    this.alarmAt = null;
    await this.flush(Date.now());
  }

  /**
   * Writes closed hours (absolute values), key last-use times and new wallet ledger entries to D1
   * in one batch, releases expired holds, prunes old state and, hourly, reconciles with D1.
   * Running it twice changes nothing. Only user subjects are flushed: anonymous (ip:) history
   * stays in its object, so D1 grows with users × hours and never with traffic.
   */
  async flush(now: number): Promise<{ hours: number; keys: number; entries: number }> {
    const at = this.tick(now);
    await this.desk.tend(this.env, this.policy.userId, at);
    const hours = this.usage.unflushed(now);
    const uses = this.keys.unflushed();
    const entries = this.desk.wallet.unflushed(LEDGER_FLUSH_BATCH);
    const subject = this.policy.subject;
    const userId = this.policy.userId;
    if (userId !== null && subject !== null) {
      const db = openDb(this.env.DB);
      await runBatch(db, [
        ...this.usage.statements(db, subject, hours, now),
        ...this.keys.statements(db, uses),
        ...ledgerStatements(db, userId, entries, now),
      ]);
    }
    this.usage.markFlushed(hours);
    this.keys.markFlushed(uses);
    const last = entries.at(-1);
    if (last) this.desk.wallet.markFlushed(last.seq);
    this.usage.prune(now);
    this.sessions.prune(now);
    this.replays.prune(at);
    if (hours.length > 0 || now - this.reconciledAt >= HOUR) {
      await this.policy.reconcile(now);
      this.reconciledAt = now;
    }
    if (this.usage.hasOpenHour(now)) this.scheduleFlush(now);
    if (this.desk.hasWork()) this.schedule(now + WALLET_FLUSH_DELAY);
    const expiry = this.desk.wallet.nextHoldExpiry();
    if (expiry !== null) this.schedule(expiry);
    return { hours: hours.length, keys: uses.length, entries: entries.length };
  }

  /** Makes sure an alarm will flush the current hour once it closes. */
  private scheduleFlush(now: number): void {
    this.schedule(hourOf(now) + HOUR + FLUSH_DELAY);
  }

  /** Makes sure the alarm runs by `due` (an earlier one already set is kept). */
  private schedule(due: number): void {
    if (this.alarmAt !== null && this.alarmAt <= due) return;
    this.alarmAt = due;
    // The storage write is ordered before the response by the output gate; no await needed.
    void this.ctx.storage.setAlarm(due);
  }

  private tick(now: number): number {
    this.clock = Math.max(this.clock, now);
    return this.clock;
  }
}
