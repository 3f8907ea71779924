import { type SQL, sql } from "drizzle-orm";
import type { Job, JobCounts } from "../lib/jobs";
import { DAY, utcDay } from "../lib/time";
import { HOURLY_RETENTION_DAYS, int } from "./rollups";

/** usage_daily: 13 months. */
export const DAILY_RETENTION_DAYS = 396;
export const EMAIL_RETENTION_DAYS = 30;
export const WEBHOOK_EVENT_RETENTION_DAYS = 90;
export const JOB_RUN_RETENTION_DAYS = 90;
/** Notifications out of the in-app list (removed, or never in it) keep their dedupe key this long. */
export const UNLISTED_NOTIFICATION_RETENTION_DAYS = 90;

/** Rows per DELETE statement, and at most this many statements per table and run. */
export const RETENTION_BATCH = 1000;
export const RETENTION_BATCHES_PER_RUN = 20;

/**
 * Deletes what is past its keeping time, a bounded number of rows per run (the next run goes
 * on): usage_hourly of days more than 35 days before today, usage_daily of days more than 396
 * days (13 months) before today, sent or failed emails created more than 30 days ago (pending
 * ones are kept), processed or ignored webhook events received more than 90 days ago (failed
 * and pending ones are kept for inspection and replay), notifications out of the in-app list
 * created more than 90 days ago (with their deliveries) and job runs more than 90 days old —
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
      // Their deliveries go with them (ON DELETE CASCADE).
      "notifications_deleted",
      sql`DELETE FROM notifications WHERE id IN (
        SELECT id FROM notifications
        WHERE in_app = 0 AND created_at < ${int(now - UNLISTED_NOTIFICATION_RETENTION_DAYS * DAY)}
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
