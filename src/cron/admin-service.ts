import { desc, eq } from "drizzle-orm";
import { auditInsert } from "../audit/audit";
import type { Db } from "../db";
import { jobRuns } from "../db/schema";
import type { ServiceContext } from "../lib/context";
import { notFound } from "../lib/errors";
import { iso } from "../lib/time";
import { isJobName, JOBS, SCHEDULE } from "./registry";
import { type JobRun, runJob } from "./runner";

export function jobRunView(run: JobRun) {
  return {
    id: run.id,
    job: run.job,
    trigger: run.trigger,
    run_at: iso(run.runAt),
    started_at: iso(run.startedAt),
    duration_ms: run.durationMs,
    status: run.status,
    counts: run.counts,
    error: run.error,
    d1: run.d1Usage,
  };
}

/** Every job with the crons that run it and its last run. */
export async function jobsOverview(db: Db) {
  return Promise.all(
    Object.keys(JOBS).map(async (name) => {
      const last = await db
        .select()
        .from(jobRuns)
        .where(eq(jobRuns.job, name))
        .orderBy(desc(jobRuns.startedAt), desc(jobRuns.id))
        .limit(1)
        .get();
      const crons = Object.entries(SCHEDULE)
        .filter(([, names]) => (names as string[]).includes(name))
        .map(([cron]) => cron);
      return { name, crons, last_run: last ? jobRunView(last) : null };
    }),
  );
}

/** An admin's "run now": the run, then its audit entry naming it. */
export async function runJobForAdmin(
  { db, env, now }: ServiceContext,
  actorId: string,
  name: string,
): Promise<JobRun> {
  if (!isJobName(name)) throw notFound("Job");
  const run = await runJob(env, name, "admin", now);
  // Recorded after the run, naming it, so the log never claims a run that does not exist.
  await auditInsert(
    db,
    {
      actorId,
      action: "job.run",
      targetType: "job",
      targetId: name,
      data: { run_id: run.id, status: run.status },
    },
    now,
  );
  return run;
}
