// Cron job runs: one row per run of a job, with its counts and where the next run resumes.
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const JOB_TRIGGERS = ["cron", "admin"] as const;
export const JOB_RUN_STATUSES = ["running", "ok", "error"] as const;

export const jobRuns = sqliteTable(
  "job_runs",
  {
    id: text("id").primaryKey(),
    job: text("job").notNull(),
    trigger: text("trigger", { enum: JOB_TRIGGERS }).notNull(),
    // The `now` the job ran with (scheduled time, or the admin's request time).
    runAt: integer("run_at").notNull(),
    startedAt: integer("started_at").notNull(),
    finishedAt: integer("finished_at"),
    durationMs: integer("duration_ms"),
    status: text("status", { enum: JOB_RUN_STATUSES }).notNull(),
    counts: text("counts", { mode: "json" }).$type<Record<string, number>>().notNull().default({}),
    error: text("error"),
    // Where the next run resumes, for jobs that work through more than one run's batch.
    cursor: text("cursor"),
    // What D1 reported for the job's queries: rows read and written, queries counted.
    d1Usage: text("d1_usage", { mode: "json" }).$type<{
      rows_read: number;
      rows_written: number;
      queries: number;
      unmetered: number;
    }>(),
  },
  (t) => [index("job_runs_job_idx").on(t.job, t.startedAt)],
);
