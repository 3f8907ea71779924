// Who this object counts for and the policy it enforces (limits, features, standing, billing
// anchor, account state), kept in the `state` table. The policy is loaded from D1 once, changed
// by pushes after each commit in D1, and re-read from D1 every hour so a lost push heals.
import { openDb } from "../db";
import { liveApiKeys, loadUserPolicy, type SubjectPolicy } from "../policy/policy";
import type { ApiKeys } from "./api-keys";

const USER_PREFIX = "user:";

export class PolicySync {
  /** `user:<id>` or `ip:<address>`, remembered from the first call that names it. */
  private subjectName: string | null;
  private policy: SubjectPolicy | null;
  private loading: Promise<void> | null = null;
  /** Bumped by every pushed change, so a slower D1 load never overwrites newer pushed state. */
  private version = 0;

  constructor(
    private readonly sql: SqlStorage,
    private readonly d1: D1Database,
    private readonly keys: ApiKeys,
  ) {
    this.subjectName = this.read<string>("subject");
    this.policy = this.read<SubjectPolicy>("policy");
  }

  get subject(): string | null {
    return this.subjectName;
  }

  /** The policy in force; null for anonymous subjects and before the first load. */
  get current(): SubjectPolicy | null {
    return this.policy;
  }

  /** The user's id for a user subject; null for anonymous ones, which have no D1 record. */
  get userId(): string | null {
    const subject = this.subjectName;
    return subject?.startsWith(USER_PREFIX) ? subject.slice(USER_PREFIX.length) : null;
  }

  remember(subject: string): void {
    if (this.subjectName === subject) return;
    this.subjectName = subject;
    this.write("subject", subject);
  }

  /** Loads a user's policy from D1 on first need; concurrent callers share one load. */
  async ensure(now: number): Promise<void> {
    const userId = this.userId;
    if (this.policy || userId === null) return;
    this.loading ??= this.load(userId, now).finally(() => {
      this.loading = null;
    });
    await this.loading;
  }

  /** A pushed change of plan limits, features, standing or billing anchor. */
  async configure(patch: Partial<SubjectPolicy>, now: number): Promise<void> {
    await this.ensure(now);
    if (!this.policy) return;
    this.version++;
    this.policy = { ...this.policy, ...patch };
    this.write("policy", this.policy);
  }

  /**
   * Re-reads the policy and live API keys from D1, the source of truth, so a push that failed
   * is healed within the hour. Off the hot path (alarm); a push during the read wins.
   */
  async reconcile(now: number): Promise<void> {
    const userId = this.userId;
    if (userId === null) return;
    const keysVersion = this.keys.version;
    const policyVersion = this.version;
    const db = openDb(this.d1);
    const [keys, policy] = await Promise.all([
      liveApiKeys(db, userId, now),
      loadUserPolicy(db, userId),
    ]);
    if (this.keys.version === keysVersion) this.keys.replace(keys);
    if (this.version === policyVersion) this.set(policy);
  }

  private async load(userId: string, now: number): Promise<void> {
    const versionAtStart = this.version;
    const db = openDb(this.d1);
    const [policy, keys] = await Promise.all([
      loadUserPolicy(db, userId),
      liveApiKeys(db, userId, now),
    ]);
    // A push that arrived during the load is newer than what was read: keep the pushed fields.
    if (this.version === versionAtStart || !this.policy) this.set(policy);
    this.keys.replace(keys);
  }

  private set(policy: SubjectPolicy): void {
    this.policy = policy;
    this.write("policy", policy);
  }

  private read<T>(key: string): T | null {
    const row = this.sql
      .exec<{ value: string }>("SELECT value FROM state WHERE key = ?", key)
      .toArray()[0];
    return row ? (JSON.parse(row.value) as T) : null;
  }

  private write(key: string, value: unknown): void {
    this.sql.exec(
      "INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      key,
      JSON.stringify(value),
    );
  }
}
