import { DurableObject } from "cloudflare:workers";
import { openDb } from "../db";
import { type Env, loadConfig } from "../env";
import type { ServiceContext } from "../lib/context";
import { type MigrationStep, migrate } from "../ratelimit/migrations";
import { deliverDue } from "./deliver";
import type { DeliveryCounts, DueItem } from "./scheduler-client";

/** The object's SQLite schema, append only (see ratelimit/migrations.ts). */
const MIGRATIONS: readonly MigrationStep[] = [
  `
  CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE due (kind TEXT NOT NULL, id TEXT NOT NULL, due_at INTEGER NOT NULL, PRIMARY KEY (kind, id));
  CREATE INDEX due_at_idx ON due (due_at);
  `,
];

/** Items one run hands to D1 at most; the rest go in the next run, straight after. */
const RUN_SIZE = 25;

/**
 * One object per user holding when each of their reminders and events is next due, with one
 * alarm at the earliest. D1 stays the source of truth: on the alarm the object delivers what D1
 * says is due (deliver.ts) and keeps the due times D1 answers. Creating, editing and deleting
 * push the new due times here after the D1 commit; the sweep hands over what a lost push missed.
 */
export class Scheduler extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  /** Runs and plans one at a time: an alarm and a sweep's call never deliver side by side. */
  private running: Promise<unknown> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    migrate(ctx.storage, MIGRATIONS);
    this.sql = ctx.storage.sql;
  }

  /**
   * New due times (null: forget the item), then the alarm at the earliest. After any run in
   * progress: a run applies the due times D1 answered while it awaited them, which may predate
   * this edit, so the edit must land after them, not before.
   */
  async plan(userId: string, items: DueItem[]): Promise<void> {
    this.remember(userId);
    await this.serially(async () => {
      this.apply(items);
      await this.rearm();
    });
  }

  /** The sweep: takes the items and delivers what is due at `now`, waiting for it. */
  async deliverNow(userId: string, items: DueItem[], now: number): Promise<DeliveryCounts> {
    this.remember(userId);
    return this.serially(() => {
      this.apply(items);
      return this.run(now);
    });
  }

  /** What the object holds, earliest first (for tests and diagnostics). */
  pending(): DueItem[] {
    return this.sql
      .exec<{ kind: DueItem["kind"]; id: string; due_at: number }>(
        "SELECT kind, id, due_at FROM due ORDER BY due_at, kind, id",
      )
      .toArray()
      .map((row) => ({ kind: row.kind, id: row.id, dueAt: row.due_at }));
  }

  override async alarm(): Promise<void> {
    // A failure throws, and the runtime retries the alarm; the sweep is the last resort.
    await this.serially(() => this.run(Date.now()));
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const result = this.running.then(work);
    this.running = result.catch(() => undefined);
    return result;
  }

  private async run(now: number): Promise<DeliveryCounts> {
    const userId = this.userId();
    const counts: DeliveryCounts = { delivered: 0, skipped: 0 };
    if (userId !== null) {
      const due = this.sql
        .exec<{ kind: DueItem["kind"]; id: string; due_at: number }>(
          "SELECT kind, id, due_at FROM due WHERE due_at <= ? ORDER BY due_at LIMIT ?",
          now,
          RUN_SIZE,
        )
        .toArray()
        .map((row) => ({ kind: row.kind, id: row.id, dueAt: row.due_at }));
      if (due.length > 0) {
        const result = await deliverDue(this.context(now), userId, due);
        // A push that came in while D1 was asked (an edit's) is newer than this answer: kept.
        const read = new Map(due.map((item) => [`${item.kind}:${item.id}`, item.dueAt]));
        this.apply(result.next, read);
        counts.delivered += result.counts.delivered;
        counts.skipped += result.counts.skipped;
      }
    }
    await this.rearm();
    return counts;
  }

  private context(now: number): ServiceContext {
    return {
      db: openDb(this.env.DB),
      env: this.env,
      config: loadConfig(this.env),
      now,
      origin: `scheduler ${this.userId()}`,
    };
  }

  /**
   * Sets the items' due times (null: forgets them). With `unless`, an item is only changed while
   * it still has the due time read then (the runs' answers never undo a newer push).
   */
  private apply(items: DueItem[], unless?: Map<string, number | null>): void {
    for (const item of items) {
      const read = unless?.get(`${item.kind}:${item.id}`);
      if (read !== undefined && !this.holds(item, read)) continue;
      if (item.dueAt === null) {
        this.sql.exec("DELETE FROM due WHERE kind = ? AND id = ?", item.kind, item.id);
      } else {
        this.sql.exec(
          "INSERT INTO due (kind, id, due_at) VALUES (?, ?, ?) ON CONFLICT (kind, id) DO UPDATE SET due_at = excluded.due_at",
          item.kind,
          item.id,
          item.dueAt,
        );
      }
    }
  }

  private holds(item: DueItem, dueAt: number | null): boolean {
    return (
      this.sql
        .exec(
          "SELECT 1 FROM due WHERE kind = ? AND id = ? AND due_at = ?",
          item.kind,
          item.id,
          dueAt,
        )
        .toArray().length > 0
    );
  }

  private async rearm(): Promise<void> {
    const next = this.sql.exec<{ at: number | null }>("SELECT min(due_at) AS at FROM due").one().at;
    if (next === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(next);
  }

  private remember(userId: string): void {
    this.sql.exec(
      "INSERT INTO state (key, value) VALUES ('user_id', ?) ON CONFLICT (key) DO NOTHING",
      userId,
    );
  }

  private userId(): string | null {
    const row = this.sql
      .exec<{ value: string }>("SELECT value FROM state WHERE key = 'user_id'")
      .toArray()[0];
    return row?.value ?? null;
  }
}
