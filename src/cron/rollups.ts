import { type SQL, sql } from "drizzle-orm";
import type { Db } from "../db";
import type { Job, JobCounts } from "../lib/jobs";
import { DAY, MINUTE } from "../lib/time";

// ---- Usage rollup ------------------------------------------------------------------------------

/**
 * usage_hourly keeps the hours of the UTC days less than this many days before today. The rollup
 * recomputes only days inside that window, so it never rolls up a day that retention has already
 * emptied (or a stale hour flushed after its day was deleted).
 */
export const HOURLY_RETENTION_DAYS = 35;
/** usage_daily: 13 months. */
export const DAILY_RETENTION_DAYS = 396;
export const EMAIL_RETENTION_DAYS = 30;
export const WEBHOOK_EVENT_RETENTION_DAYS = 90;
export const JOB_RUN_RETENTION_DAYS = 90;

/** Days recomputed per run besides today and yesterday; a longer backlog goes on next run. */
export const ROLLUP_DAYS_PER_RUN = 7;

/**
 * A flush stamps its rows with the rate limiter's clock before its batch commits, so a row can
 * land with an updated_at a little below one the rollup already saw. Each sweep looks this far
 * back past its cursor; recomputing a day is idempotent, so the overlap costs only a re-read.
 */
export const ROLLUP_CURSOR_OVERLAP = 5 * MINUTE;

/**
 * An integer written into the SQL text. drizzle's D1 batch cannot run `db.run(sql)` statements
 * that have bound parameters (SQLiteRaw has no prepared statement to bind), and these
 * statements are batched; every value inlined is a number computed here, never input.
 */
function int(n: number): SQL {
  if (!Number.isSafeInteger(n)) throw new Error(`not an integer: ${n}`);
  return sql.raw(String(n));
}

/** UTC midnight of the day holding `t` (ms). */
export function utcDay(t: number): number {
  return Math.floor(t / DAY) * DAY;
}

/**
 * The rollup's resume point. `since`: every hourly row with updated_at ≤ since is reflected in
 * usage_daily (null: nothing yet). While a sweep is under way, `up_to` is the newest updated_at
 * it covers and `from` the first day it has still to recompute.
 */
interface RollupCursor {
  since: number | null;
  up_to?: number;
  from?: number;
}

function parseCursor(cursor: string | null): RollupCursor {
  if (!cursor) return { since: null };
  try {
    const parsed: unknown = JSON.parse(cursor);
    if (typeof parsed === "number" && Number.isFinite(parsed)) return { since: parsed };
    if (parsed && typeof parsed === "object") {
      const { since, up_to, from } = parsed as Record<string, unknown>;
      const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
      const result: RollupCursor = { since: num(since) ?? null };
      if (num(up_to) !== undefined && num(from) !== undefined) {
        result.up_to = num(up_to);
        result.from = num(from);
      }
      return result;
    }
  } catch {}
  // Unreadable: start over, which is only slower, never wrong.
  return { since: null };
}

/** Writes the per-subject sums of one UTC day's hours; rows already right are left alone. */
function rollupDay(db: Db, day: number, now: number) {
  return db.run(sql`
    INSERT INTO usage_daily (subject, day, allowed, denied, updated_at)
    SELECT subject, ${int(day)}, sum(allowed), sum(denied), ${int(now)}
    FROM usage_hourly
    WHERE hour >= ${int(day)} AND hour < ${int(day + DAY)}
    GROUP BY subject
    ON CONFLICT (subject, day) DO UPDATE SET
      allowed = excluded.allowed, denied = excluded.denied, updated_at = excluded.updated_at
    WHERE usage_daily.allowed != excluded.allowed OR usage_daily.denied != excluded.denied`);
}

/** One row per day (zeros for a day without usage): sums and the subjects with any allowed call. */
function totalsForDay(db: Db, day: number, now: number) {
  return db.run(sql`
    INSERT INTO usage_daily_totals (day, allowed, denied, active_subjects, updated_at)
    SELECT ${int(day)}, coalesce(sum(allowed), 0), coalesce(sum(denied), 0),
      coalesce(sum(allowed > 0), 0), ${int(now)}
    FROM usage_daily
    WHERE day = ${int(day)}
    ON CONFLICT (day) DO UPDATE SET
      allowed = excluded.allowed, denied = excluded.denied,
      active_subjects = excluded.active_subjects, updated_at = excluded.updated_at
    WHERE usage_daily_totals.allowed != excluded.allowed
      OR usage_daily_totals.denied != excluded.denied
      OR usage_daily_totals.active_subjects != excluded.active_subjects`);
}

/**
 * usage_hourly → usage_daily (per subject and UTC day) and usage_daily_totals (per day).
 *
 * Each day it touches is recomputed from its hours with one INSERT … SELECT … GROUP BY and written
 * as absolute values, so running twice is running once and a late-flushed hour just updates its
 * day. Its work is today, yesterday and the days with hourly rows updated since the cursor
 * (first run: every day inside the hourly retention window) — at most ROLLUP_DAYS_PER_RUN of the
 * latter per run, oldest first; the cursor says where the next run goes on. The cost is
 * subjects × hours of the days it touches and never depends on the number of requests.
 */
export const usageRollupJob: Job = async ({ db, now, cursor, setCursor }) => {
  const today = utcDay(now);
  const windowStart = today - HOURLY_RETENTION_DAYS * DAY;
  const state = parseCursor(cursor);
  const lower = state.since === null ? null : state.since - ROLLUP_CURSOR_OVERLAP;
  const changedSince = lower === null ? sql`1` : sql`updated_at > ${lower}`;

  // A sweep covers the rows updated up to the newest one seen when it started.
  let upTo = state.up_to;
  let from = state.from ?? windowStart;
  if (upTo === undefined) {
    const row = await db.get<{ up_to: number | null }>(
      sql`SELECT max(updated_at) AS up_to FROM usage_hourly WHERE ${changedSince}`,
    );
    upTo = row?.up_to ?? undefined;
    from = windowStart;
  }
  from = Math.max(from, windowStart);

  const always = [today, today - DAY];
  let changedDays: number[] = [];
  if (upTo !== undefined) {
    const rows = await db.all<{ day: number }>(sql`
      SELECT DISTINCT hour - hour % ${DAY} AS day FROM usage_hourly
      WHERE ${changedSince} AND updated_at <= ${upTo} AND hour >= ${from}
      ORDER BY day
      LIMIT ${ROLLUP_DAYS_PER_RUN + always.length + 1}`);
    changedDays = rows.map((r) => r.day).filter((day) => !always.includes(day));
  }
  const more = changedDays.length > ROLLUP_DAYS_PER_RUN;
  changedDays = changedDays.slice(0, ROLLUP_DAYS_PER_RUN);

  const counts = { days: 0, usage_daily_written: 0, totals_written: 0, backlog: more ? 1 : 0 };
  // Today and yesterday first: they are what people look at. One batch per day keeps each D1
  // request small; a day is consistent on its own.
  for (const day of [...always, ...changedDays]) {
    const [daily, totals] = await db.batch([rollupDay(db, day, now), totalsForDay(db, day, now)]);
    counts.days++;
    counts.usage_daily_written += daily.meta.changes;
    counts.totals_written += totals.meta.changes;
  }

  const lastDay = changedDays.at(-1);
  if (more && upTo !== undefined && lastDay !== undefined) {
    setCursor(JSON.stringify({ since: state.since, up_to: upTo, from: lastDay + DAY }));
  } else {
    const since = Math.max(
      state.since ?? Number.NEGATIVE_INFINITY,
      upTo ?? Number.NEGATIVE_INFINITY,
    );
    setCursor(Number.isFinite(since) ? JSON.stringify({ since }) : null);
  }
  return counts;
};

// ---- Retention ---------------------------------------------------------------------------------

/** Rows per DELETE statement, and at most this many statements per table and run. */
export const RETENTION_BATCH = 1000;
export const RETENTION_BATCHES_PER_RUN = 20;

/**
 * Deletes what is past its keeping time, a bounded number of rows per run (the next run goes
 * on): usage_hourly of days more than 35 days before today, usage_daily of days more than 396
 * days (13 months) before today, sent or failed emails created more than 30 days ago (pending
 * ones are kept), processed or ignored webhook events received more than 90 days ago (failed
 * and pending ones are kept for inspection and replay) and job runs more than 90 days old —
 * except each job's latest successful run, which holds the cursor its next run resumes from.
 */
export const retentionJob: Job = async ({ db, now }) => {
  const today = utcDay(now);
  const n = RETENTION_BATCH;
  const deletes: [string, SQL][] = [
    [
      "usage_hourly_deleted",
      sql`DELETE FROM usage_hourly WHERE rowid IN (
        SELECT rowid FROM usage_hourly WHERE hour < ${int(today - HOURLY_RETENTION_DAYS * DAY)}
        LIMIT ${int(n)})`,
    ],
    [
      "usage_daily_deleted",
      sql`DELETE FROM usage_daily WHERE rowid IN (
        SELECT rowid FROM usage_daily WHERE day < ${int(today - DAILY_RETENTION_DAYS * DAY)}
        LIMIT ${int(n)})`,
    ],
    [
      "emails_deleted",
      sql`DELETE FROM email_outbox WHERE id IN (
        SELECT id FROM email_outbox
        WHERE status IN ('sent', 'failed') AND created_at < ${int(now - EMAIL_RETENTION_DAYS * DAY)}
        LIMIT ${int(n)})`,
    ],
    [
      "webhook_events_deleted",
      sql`DELETE FROM webhook_events WHERE id IN (
        SELECT id FROM webhook_events
        WHERE status IN ('processed', 'ignored')
          AND received_at < ${int(now - WEBHOOK_EVENT_RETENTION_DAYS * DAY)}
        LIMIT ${int(n)})`,
    ],
    [
      // Age by run_at, the clock the run was given (as every other age here is), so a run with
      // a clock ahead of the wall clock never takes the rows of runs in progress for old ones.
      "job_runs_deleted",
      sql`DELETE FROM job_runs WHERE id IN (
        SELECT r.id FROM job_runs r
        WHERE r.run_at < ${int(now - JOB_RUN_RETENTION_DAYS * DAY)}
          AND (r.status != 'ok' OR EXISTS (
            SELECT 1 FROM job_runs later
            WHERE later.job = r.job AND later.status = 'ok'
              AND (later.started_at > r.started_at
                OR (later.started_at = r.started_at AND later.id > r.id))))
        LIMIT ${int(n)})`,
    ],
  ];
  const counts: JobCounts = Object.fromEntries(deletes.map(([key]) => [key, 0]));
  let open = deletes;
  for (let i = 0; i < RETENTION_BATCHES_PER_RUN && open.length > 0; i++) {
    const [first, ...rest] = open.map(([, query]) => db.run(query));
    if (!first) break;
    const results = await db.batch([first, ...rest]);
    const full: [string, SQL][] = [];
    results.forEach((result, j) => {
      const entry = open[j];
      if (!entry) return;
      counts[entry[0]] = (counts[entry[0]] ?? 0) + result.meta.changes;
      // A full batch: there may be more.
      if (result.meta.changes >= n) full.push(entry);
    });
    open = full;
  }
  counts.backlog = open.length > 0 ? 1 : 0;
  return counts;
};
