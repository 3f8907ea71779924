import type { ServiceContext } from "./context";

export interface JobContext extends ServiceContext {
  /** Where the previous run of this job stopped (null: start from the beginning). */
  cursor: string | null;
  /** A job that has more to do than one run's batch says where the next run resumes. */
  setCursor: (cursor: string | null) => void;
}

export type JobCounts = Record<string, number>;
export type Job = (ctx: JobContext) => Promise<JobCounts>;
