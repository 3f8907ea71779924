import type { Env } from "../env";
import type { ServiceContext } from "../lib/context";

// The one module that talks to the Scheduler objects (one per user).

/** Something of a user's that comes due: a reminder, or an event's next delivery. */
export interface DueItem {
  kind: "reminder" | "event";
  id: string;
  /** When it is due; null: nothing more (delivered, canceled, deleted, the series is over). */
  dueAt: number | null;
}

/** What one delivery run did. */
export interface DeliveryCounts {
  /** Notifications stored (each once: a repeated run stores none again). */
  delivered: number;
  /** Due points let go without a notification (too late, or the account is not active). */
  skipped: number;
}

function scheduler(env: Env, userId: string) {
  return env.SCHEDULER.get(env.SCHEDULER.idFromName(userId));
}

/**
 * After D1 committed a change, the user's object learns the new due times. Never throws: a lost
 * push is logged, and the sweep hands the object whatever comes due without it.
 */
export async function planAfterCommit(
  ctx: Pick<ServiceContext, "env" | "origin">,
  userId: string,
  items: DueItem[],
): Promise<void> {
  try {
    await scheduler(ctx.env, userId).plan(userId, items);
  } catch (error) {
    console.error(
      JSON.stringify({
        msg: "scheduler push failed",
        origin: ctx.origin ?? "unknown",
        user: userId,
        items: items.map((item) => `${item.kind}:${item.id}`),
        error: String(error),
      }),
    );
  }
}

/** The sweep: hands the object items D1 says are overdue and waits for it to deliver them. */
export function deliverOverdue(
  ctx: Pick<ServiceContext, "env" | "now">,
  userId: string,
  items: DueItem[],
): Promise<DeliveryCounts> {
  return scheduler(ctx.env, userId).deliverNow(userId, items, ctx.now);
}
