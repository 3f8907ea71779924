import { and, desc, eq, sql } from "drizzle-orm";
import { meteredD1, openDb } from "../db";
import { jobRuns } from "../db/schema";
import { type Env, loadConfig } from "../env";
import { newId } from "../lib/ids";
import { JOBS, type JobName } from "./registry";

export type JobRun = typeof jobRuns.$inferSelect;

/**
 * Runs one named job and records the run (start, duration, counts, error, resume cursor) in
 * `job_runs`; logs a one-line summary. A failing job is recorded and reported, not thrown.
 */
export async function runJob(
  env: Env,
  name: JobName,
  trigger: "cron" | "admin",
  now: number,
): Promise<JobRun> {
  const db = openDb(env.DB);
  const config = loadConfig(env);
  const previous = await db
    .select({ cursor: jobRuns.cursor })
    .from(jobRuns)
    .where(and(eq(jobRuns.job, name), eq(jobRuns.status, "ok")))
    .orderBy(desc(jobRuns.startedAt), desc(sql`rowid`))
    .limit(1)
    .get();
  const id = newId("run");
  const startedAt = Date.now();
  await db
    .insert(jobRuns)
    .values({ id, job: name, trigger, runAt: now, startedAt, status: "running" });
  let cursor: string | null = null;
  // The job's own queries go through a binding that adds up what D1 reports for them.
  const metered = meteredD1(env.DB);
  try {
    const counts = await JOBS[name]({
      db: openDb(metered.d1),
      env: { ...env, DB: metered.d1 },
      config,
      now,
      origin: `job ${name}`,
      cursor: previous?.cursor ?? null,
      setCursor: (next) => {
        cursor = next;
      },
    });
    const finishedAt = Date.now();
    const [run] = await db
      .update(jobRuns)
      .set({
        status: "ok",
        counts,
        d1Usage: metered.usage,
        cursor,
        finishedAt,
        durationMs: finishedAt - startedAt,
      })
      .where(eq(jobRuns.id, id))
      .returning();
    console.log(
      JSON.stringify({ msg: "job done", job: name, ms: finishedAt - startedAt, ...counts }),
    );
    if (!run) throw new Error("job run row vanished");
    return run;
  } catch (error) {
    const finishedAt = Date.now();
    console.error(JSON.stringify({ msg: "job failed", job: name, error: String(error) }));
    const [run] = await db
      .update(jobRuns)
      .set({
        status: "error",
        error: String(error).slice(0, 1000),
        finishedAt,
        durationMs: finishedAt - startedAt,
      })
      .where(eq(jobRuns.id, id))
      .returning();
    if (!run) throw error;
    return run;
  }
}
