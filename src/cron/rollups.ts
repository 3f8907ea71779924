import { type SQL, sql } from "drizzle-orm";
import type { Db } from "../db";
import type { Job } from "../lib/jobs";
import { DAY, utcDay } from "../lib/time";

// ---- Usage rollup ------------------------------------------------------------------------------
//
// usage_hourly → usage_daily (per subject and UTC day) and usage_daily_totals (per day), reading
// only what changed. Each hourly row remembers the counts already added to its day
// (`rolled_allowed`, `rolled_denied`); a partial index holds just the rows whose counts differ
// from those — the hours flushed (or re-flushed) since the last run. A run adds their
// differences to their days and marks them rolled, all in one batch, so a run that fails adds
// nothing and a second run finds nothing to add. A run with nothing new reads a handful of rows,
// whatever the size of the history.

/**
 * usage_hourly keeps the hours of the UTC days less than this many days before today. Older rows
 * are never rolled up: retention is about to delete them, and their days are final.
 */
export const HOURLY_RETENTION_DAYS = 35;

/** Days of changed hours one run takes on; a longer backlog goes on at the next run. */
export const ROLLUP_DAYS_PER_RUN = 7;

/** The cursor once history has been rebuilt under this scheme: from then on, deltas only. */
const INCREMENTAL = JSON.stringify({ v: 2 });

/**
 * An integer written into the SQL text. drizzle's D1 batch cannot run `db.run(sql)` statements
 * that have bound parameters (SQLiteRaw has no prepared statement to bind), and these
 * statements are batched; every value inlined is a number computed here, never input.
 */
export function int(n: number): SQL {
  if (!Number.isSafeInteger(n)) throw new Error(`not an integer: ${n}`);
  return sql.raw(String(n));
}

/** The rows the rollup has still to add (the partial index's condition, word for word). */
const UNROLLED = sql.raw(
  `("usage_hourly"."rolled_allowed" IS NULL OR "usage_hourly"."allowed" != "usage_hourly"."rolled_allowed" OR "usage_hourly"."denied" != "usage_hourly"."rolled_denied")`,
);

const dayOf = sql.raw(`(hour - hour % ${DAY})`);

/** The changed rows' differences per subject and day, for hours in [from, to). */
function changes(from: number, to: number): SQL {
  return sql`
    SELECT subject, ${dayOf} AS day,
      sum(allowed - coalesce(rolled_allowed, 0)) AS allowed,
      sum(denied - coalesce(rolled_denied, 0)) AS denied
    FROM usage_hourly
    WHERE ${UNROLLED} AND hour >= ${int(from)} AND hour < ${int(to)}
    GROUP BY subject, day`;
}

/**
 * Adds the changed hours of [from, to) to their days: the totals first (they compare each
 * subject's day before and after, to count the subjects that became active), then the days,
 * then the rows are marked rolled. One batch: all three or none.
 */
function addChanges(db: Db, from: number, to: number, now: number) {
  return [
    db.run(sql`
      INSERT INTO usage_daily_totals (day, allowed, denied, active_subjects, updated_at)
      SELECT c.day, sum(c.allowed), sum(c.denied),
        sum((coalesce(d.allowed, 0) + c.allowed > 0) - (coalesce(d.allowed, 0) > 0)), ${int(now)}
      FROM (${changes(from, to)}) c
      LEFT JOIN usage_daily d ON d.subject = c.subject AND d.day = c.day
      GROUP BY c.day
      ON CONFLICT (day) DO UPDATE SET
        allowed = usage_daily_totals.allowed + excluded.allowed,
        denied = usage_daily_totals.denied + excluded.denied,
        active_subjects = usage_daily_totals.active_subjects + excluded.active_subjects,
        updated_at = excluded.updated_at`),
    db.run(sql`
      INSERT INTO usage_daily (subject, day, allowed, denied, updated_at)
      SELECT subject, day, allowed, denied, ${int(now)} FROM (${changes(from, to)}) WHERE true
      ON CONFLICT (subject, day) DO UPDATE SET
        allowed = usage_daily.allowed + excluded.allowed,
        denied = usage_daily.denied + excluded.denied,
        updated_at = excluded.updated_at`),
    markRolled(db, from, to),
  ] as const;
}

function markRolled(db: Db, from: number, to: number) {
  return db.run(sql`
    UPDATE usage_hourly SET rolled_allowed = allowed, rolled_denied = denied
    WHERE ${UNROLLED} AND hour >= ${int(from)} AND hour < ${int(to)}`);
}

/**
 * Rebuilds one day from all of its hours (absolute sums), then marks its hours rolled: how days
 * are brought under the delta scheme once, whatever an earlier rollup left in them.
 */
function rebuildDay(db: Db, day: number, now: number) {
  return [
    db.run(sql`
      INSERT INTO usage_daily (subject, day, allowed, denied, updated_at)
      SELECT subject, ${int(day)}, sum(allowed), sum(denied), ${int(now)}
      FROM usage_hourly WHERE hour >= ${int(day)} AND hour < ${int(day + DAY)}
      GROUP BY subject
      ON CONFLICT (subject, day) DO UPDATE SET
        allowed = excluded.allowed, denied = excluded.denied, updated_at = excluded.updated_at
      WHERE usage_daily.allowed != excluded.allowed OR usage_daily.denied != excluded.denied`),
    db.run(sql`
      INSERT INTO usage_daily_totals (day, allowed, denied, active_subjects, updated_at)
      SELECT ${int(day)}, coalesce(sum(allowed), 0), coalesce(sum(denied), 0),
        coalesce(sum(allowed > 0), 0), ${int(now)}
      FROM usage_daily WHERE day = ${int(day)}
      ON CONFLICT (day) DO UPDATE SET
        allowed = excluded.allowed, denied = excluded.denied,
        active_subjects = excluded.active_subjects, updated_at = excluded.updated_at
      WHERE usage_daily_totals.allowed != excluded.allowed
        OR usage_daily_totals.denied != excluded.denied
        OR usage_daily_totals.active_subjects != excluded.active_subjects`),
    markRolled(db, day, day + DAY),
  ] as const;
}

/** Every day has a totals row from the day it starts, zeros until usage arrives. */
function zeroTotals(db: Db, day: number, now: number) {
  return db.run(sql`
    INSERT INTO usage_daily_totals (day, allowed, denied, active_subjects, updated_at)
    VALUES (${int(day)}, 0, 0, 0, ${int(now)}) ON CONFLICT (day) DO NOTHING`);
}

/**
 * The hourly rollup. Its work is the days holding changed hours inside the retention window,
 * oldest first, at most ROLLUP_DAYS_PER_RUN per run (`backlog: 1` says more are waiting). Until
 * a first complete pass (the cursor is not yet INCREMENTAL) each such day is rebuilt from all
 * of its hours, which takes over history written by earlier versions; afterwards only the
 * differences are added.
 */
export const usageRollupJob: Job = async ({ db, now, cursor, setCursor }) => {
  const today = utcDay(now);
  const windowStart = today - HOURLY_RETENTION_DAYS * DAY;
  const incremental = cursor === INCREMENTAL;
  const counts = {
    days: 0,
    usage_daily_written: 0,
    totals_written: 0,
    hours_rolled: 0,
    backlog: 0,
  };

  // The partial index answers both in a row or two.
  // (all(), not get(): D1 reports rows read only for all() and run(), and runs record them.)
  const [first] = await db.all<{ hour: number | null }>(
    sql`SELECT min(hour) AS hour FROM usage_hourly WHERE ${UNROLLED} AND hour >= ${windowStart}`,
  );
  const [yesterdayTotals, todayTotals] = await db.batch([
    zeroTotals(db, today - DAY, now),
    zeroTotals(db, today, now),
  ]);
  counts.totals_written += yesterdayTotals.meta.changes + todayTotals.meta.changes;
  if (first?.hour == null) {
    setCursor(INCREMENTAL);
    return counts;
  }

  const from = utcDay(first.hour);
  const to = Math.min(from + ROLLUP_DAYS_PER_RUN * DAY, today + DAY);
  if (incremental) {
    const [totals, daily, rolled] = await db.batch(addChanges(db, from, to, now));
    counts.totals_written += totals.meta.changes;
    counts.usage_daily_written += daily.meta.changes;
    counts.hours_rolled += rolled.meta.changes;
    // One totals row per day that changed.
    counts.days = totals.meta.changes;
  } else {
    const days = await db.all<{ day: number }>(sql`
      SELECT DISTINCT ${dayOf} AS day FROM usage_hourly
      WHERE ${UNROLLED} AND hour >= ${from} AND hour < ${to} ORDER BY day`);
    for (const { day } of days) {
      const [daily, totals, rolled] = await db.batch(rebuildDay(db, day, now));
      counts.days++;
      counts.usage_daily_written += daily.meta.changes;
      counts.totals_written += totals.meta.changes;
      counts.hours_rolled += rolled.meta.changes;
    }
  }
  const more = await db.all<{ found: number }>(
    sql`SELECT 1 AS found FROM usage_hourly WHERE ${UNROLLED} AND hour >= ${to} LIMIT 1`,
  );
  counts.backlog = more.length > 0 ? 1 : 0;
  // The rebuild is complete once no day before the last one taken on is left unrolled.
  setCursor(incremental || more.length === 0 ? INCREMENTAL : cursor);
  return counts;
};
