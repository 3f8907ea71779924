// The safety net under the Scheduler objects: what D1 says should have been delivered a while
// ago (a push to the object was lost, an alarm never ran) is handed to its user's object, which
// delivers it exactly as its alarm would have.
import { and, asc, eq, lte } from "drizzle-orm";
import { events, reminders } from "../db/schema";
import type { JobContext, JobCounts } from "../lib/jobs";
import { MINUTE } from "../lib/time";
import { type DueItem, deliverOverdue } from "./scheduler-client";

/** How late an item must be before the sweep steps in (the object delivers within seconds). */
export const SWEEP_GRACE = MINUTE;
/** Overdue items of each kind one run hands over at most (the oldest first; the next run goes on). */
export const SWEEP_BATCH = 500;

export async function dueSweepJob(ctx: JobContext): Promise<JobCounts> {
  const { db, now } = ctx;
  const cutoff = now - SWEEP_GRACE;
  const [overdueReminders, overdueEvents] = await db.batch([
    db
      .select({ id: reminders.id, userId: reminders.userId, dueAt: reminders.remindAt })
      .from(reminders)
      .where(and(eq(reminders.status, "pending"), lte(reminders.remindAt, cutoff)))
      .orderBy(asc(reminders.remindAt))
      .limit(SWEEP_BATCH),
    db
      .select({ id: events.id, userId: events.userId, dueAt: events.nextDueAt })
      .from(events)
      .where(lte(events.nextDueAt, cutoff))
      .orderBy(asc(events.nextDueAt))
      .limit(SWEEP_BATCH),
  ]);
  const byUser = new Map<string, DueItem[]>();
  const add = (
    kind: DueItem["kind"],
    row: { id: string; userId: string; dueAt: number | null },
  ) => {
    const items = byUser.get(row.userId) ?? [];
    items.push({ kind, id: row.id, dueAt: row.dueAt });
    byUser.set(row.userId, items);
  };
  for (const row of overdueReminders) add("reminder", row);
  for (const row of overdueEvents) add("event", row);
  const counts = { users: byUser.size, delivered: 0, skipped: 0, failed_users: 0 };
  for (const [userId, items] of byUser) {
    try {
      const result = await deliverOverdue(ctx, userId, items);
      counts.delivered += result.delivered;
      counts.skipped += result.skipped;
    } catch (error) {
      counts.failed_users++;
      console.error(
        JSON.stringify({ msg: "overdue delivery failed", user: userId, error: String(error) }),
      );
    }
  }
  return counts;
}
