import type { Db } from "../db";
import type { Config, Env } from "../env";

/** What every service is handed: the database, the typed config, the bindings and the clock. */
export interface ServiceContext {
  db: Db;
  env: Env;
  config: Config;
  /** The caller's clock (the request's, the cron's scheduled time): nothing deeper reads Date.now(). */
  now: number;
}

export interface JobContext extends ServiceContext {
  /** Where the previous run of this job stopped (null: start from the beginning). */
  cursor: string | null;
  /** A job that has more to do than one run's batch says where the next run resumes. */
  setCursor: (cursor: string | null) => void;
}

export type JobCounts = Record<string, number>;
export type Job = (ctx: JobContext) => Promise<JobCounts>;
