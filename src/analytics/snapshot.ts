// The daily revenue snapshot: each subscriber's MRR, the day's MRR movements and one
// `revenue_daily` row per currency, which is all the analytics API reads.
//
// How a day is counted exactly once (idempotence):
// - `subscriber_mrr` holds each (user, currency)'s MRR as of the snapshot day in `updated_at`
//   (UTC midnight of that day). A movement is found by comparing today's MRR with that row.
// - A movement is recorded in the same D1 batch (one transaction) that advances the user's row
//   to the snapshot day: the day's `revenue_daily` counters are incremented and the row is moved
//   on together, or neither is. Rows already at the snapshot day are skipped, so a second run for
//   the same day — or a run resuming one that died half-way — adds nothing twice. Both
//   statements re-check `updated_at` inside the transaction, so even two runs at the same time
//   cannot count a user twice.
// - The day's levels (MRR, ARR, paying subscribers, subscribers by plan) are then summed from
//   `subscriber_mrr`, so `mrr(day) = mrr(previous snapshot) + new + expansion + reactivation −
//   contraction − churned` holds exactly; a re-run rewrites them (and trials, signups, active
//   users) with the same values.
// - A day older than the newest snapshot is refused: the past state of subscriptions is not
//   stored, so it cannot be recomputed.
//
// The parts: mrr.ts prices each subscriber, movements.ts classifies what changed,
// record-movements.ts walks the users and writes the movements, levels.ts writes the day's levels.
import { max } from "drizzle-orm";
import { revenueDaily } from "../db/schema";
import type { Job, JobCounts } from "../lib/jobs";
import { DAY, utcDay } from "../lib/time";
import { writeLevels } from "./levels";
import { recordMovements } from "./record-movements";

/** The day a run at `now` snapshots: the UTC day that ended before `now`'s day began. */
export function snapshotDay(now: number): number {
  return utcDay(now) - DAY;
}

/**
 * The daily revenue snapshot (cron "20 0 * * *"): snapshots the UTC day before `now`.
 * Counts: `day` (its UTC midnight, ms), `pages`, `changed` (subscriber rows moved on),
 * `currencies` written, or `skipped_older_day` when a newer day has been snapshotted already.
 */
export const revenueSnapshotJob: Job = async ({ db, env, now }): Promise<JobCounts> => {
  const day = snapshotDay(now);
  const newest = await db
    .select({ day: max(revenueDaily.day) })
    .from(revenueDaily)
    .get();
  if (newest?.day !== null && newest?.day !== undefined && newest.day > day) {
    return { day, skipped_older_day: 1 };
  }
  const { pages, changed } = await recordMovements(db, env.DB, day, now);
  const { currencies, signups, activeUsers } = await writeLevels(db, day, now);
  return { day, pages, changed, currencies, signups, active_users: activeUsers };
};
