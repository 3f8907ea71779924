// Job health from GET /v1/admin/jobs: each job's last run against its schedule. A job is late
// when its last run is older than twice its shortest cron period (one missed run is tolerated:
// the schedule may simply not have come round yet). Pure.
import type { Job } from "./types";

export type JobHealth = "ok" | "running" | "error" | "late" | "never";

const MINUTE = 60_000;

/**
 * How often a cron expression fires, for the patterns tollgate schedules: every N minutes
 * ("*\/10 * * * *"), hourly ("5 * * * *"), daily ("20 0 * * *"), weekly, monthly. Null for
 * anything else.
 */
export function cronPeriodMs(expression: string): number | null {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) return null;
  const [minute, hour, dom, month, dow] = fields as [string, string, string, string, string];
  const fixed = (f: string) => /^\d+$/.test(f);
  const every = /^\*\/(\d+)$/.exec(minute);
  if (every && hour === "*" && dom === "*" && month === "*" && dow === "*") {
    return Number(every[1]) * MINUTE;
  }
  if (minute === "*" && hour === "*" && dom === "*" && month === "*" && dow === "*") return MINUTE;
  if (!fixed(minute)) return null;
  if (hour === "*" && dom === "*" && month === "*" && dow === "*") return 60 * MINUTE;
  if (!fixed(hour) || month !== "*") return null;
  if (dom === "*" && dow === "*") return 24 * 60 * MINUTE;
  if (dom === "*" && fixed(dow)) return 7 * 24 * 60 * MINUTE;
  if (fixed(dom) && dow === "*") return 31 * 24 * 60 * MINUTE;
  return null;
}

/** The job's shortest period among its crons; null when none is understood (or unscheduled). */
export function jobPeriodMs(job: Pick<Job, "crons">): number | null {
  const periods = job.crons.map(cronPeriodMs).filter((p): p is number => p !== null);
  return periods.length ? Math.min(...periods) : null;
}

export function jobHealth(job: Job, now: number): JobHealth {
  const run = job.last_run;
  if (!run) return "never";
  if (run.status === "error") return "error";
  if (run.status === "running") return "running";
  const period = jobPeriodMs(job);
  if (period !== null && now - Date.parse(run.run_at) > 2 * period) return "late";
  return "ok";
}

/** How many jobs are in each health, for the dashboard's tile. */
export function healthCounts(jobs: readonly Job[], now: number): Record<JobHealth, number> {
  const counts: Record<JobHealth, number> = { ok: 0, running: 0, error: 0, late: 0, never: 0 };
  for (const job of jobs) counts[jobHealth(job, now)]++;
  return counts;
}
