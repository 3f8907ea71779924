// Ends the runs nothing else will end: a sync run whose isolate died before it was recorded as
// ended, an async run whose messages were lost. Such a run has had no news for an hour (an async
// run's retries are over within minutes): its hold is released (a no-op when it was settled)
// and it is recorded as failed, `abandoned`. So every run that was recorded ends recorded.
import { and, inArray } from "drizzle-orm";
import { actionRuns } from "../db/schema";
import type { Job } from "../lib/jobs";
import { HOUR } from "../lib/time";
import { openRuns } from "./records";
import { settleHold } from "./settlement";

export const ABANDONED_AFTER = HOUR;
const BATCH = 200;

export const actionRunSweep: Job = async (ctx) => {
  const { db, now } = ctx;
  const open = await openRuns(db, now - ABANDONED_AFTER, BATCH);
  let released = 0;
  const ended: string[] = [];
  for (const run of open) {
    try {
      if (run.priceAmount !== null) {
        await settleHold(ctx, run.userId, run.id, false);
        released++;
      }
      ended.push(run.id);
    } catch (error) {
      // Left open for the next run of the sweep.
      console.error(
        JSON.stringify({ msg: "abandoned run not released", run: run.id, error: String(error) }),
      );
    }
  }
  if (ended.length > 0) {
    // A run that ended meanwhile keeps its end.
    await db
      .update(actionRuns)
      .set({ status: "failed", error: "abandoned", finishedAt: now, updatedAt: now })
      .where(and(inArray(actionRuns.id, ended), inArray(actionRuns.status, ["queued", "running"])));
  }
  return { abandoned: ended.length, released, backlog: open.length === BATCH ? 1 : 0 };
};
