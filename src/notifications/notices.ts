// System notices for users: rendered in each one's language, stored with the change that causes
// them (prepareNotices + commitWithNotices, as one D1 batch) or on their own (notifySystem).
import { and, eq, inArray } from "drizzle-orm";
import type { Db, Statement } from "../db";
import { notificationStreams, users } from "../db/schema";
import { negotiate } from "../i18n";
import type { ServiceContext } from "../lib/context";
import {
  afterNotificationsCommit,
  type PreparedNotification,
  prepareNotification,
  recipientColumns,
  recipientOf,
  wasStored,
} from "./notify";
import { type SystemEvent, systemNotice } from "./system";

export interface Notice {
  userId: string;
  event: SystemEvent;
}

/**
 * The notifications for these notices, as statements to commit with the change they announce.
 * Users who are not active accounts get none.
 */
export async function prepareNotices(
  ctx: Pick<ServiceContext, "db" | "now">,
  notices: Notice[],
): Promise<PreparedNotification[]> {
  if (notices.length === 0) return [];
  const ids = [...new Set(notices.map((n) => n.userId))];
  const rows = await ctx.db
    .select({ ...recipientColumns, locale: users.locale, timezone: users.timezone })
    .from(users)
    .leftJoin(notificationStreams, eq(notificationStreams.userId, users.id))
    .where(and(inArray(users.id, ids), eq(users.status, "active")));
  const byId = new Map(rows.map((row) => [row.id, row]));
  return notices.flatMap(({ userId, event }) => {
    const user = byId.get(userId);
    if (!user) return [];
    const reader = { locale: negotiate(undefined, user.locale), timezone: user.timezone };
    return [prepareNotification(ctx, recipientOf(user), systemNotice(event, reader))];
  });
}

/**
 * Commits `statements` and the prepared notifications in ONE batch (a notification exists
 * exactly when the change does) and answers the notifications that were stored: a dedupe key
 * already used stores nothing, and its deliveries are not queued.
 */
export async function commitWithNotices(
  db: Db,
  statements: Statement[],
  prepared: PreparedNotification[],
): Promise<PreparedNotification[]> {
  const all = [...statements, ...prepared.flatMap((p) => p.statements)];
  const [first, ...rest] = all;
  if (!first) return [];
  const results = await db.batch([first, ...rest]);
  const stored: PreparedNotification[] = [];
  let at = statements.length;
  for (const notification of prepared) {
    if (wasStored(results[at])) stored.push(notification);
    at += notification.statements.length;
  }
  return stored;
}

/** One notice on its own, after the change it announces has committed; null when deduped. */
export async function notifySystem(
  ctx: ServiceContext,
  userId: string,
  event: SystemEvent,
): Promise<string | null> {
  const prepared = await prepareNotices(ctx, [{ userId, event }]);
  const stored = await commitWithNotices(ctx.db, [], prepared);
  await afterNotificationsCommit(ctx, stored);
  return stored[0]?.id ?? null;
}

/**
 * notifySystem for callers whose change has committed already: a failure is logged, never
 * thrown (the change stands; the notice is lost, as an email would be if its queue failed).
 */
export async function notifySystemAfterCommit(
  ctx: ServiceContext,
  userId: string,
  event: SystemEvent,
): Promise<void> {
  try {
    await notifySystem(ctx, userId, event);
  } catch (error) {
    console.error(
      JSON.stringify({
        msg: "system notice not stored",
        userId,
        event: event.kind,
        origin: ctx.origin,
        error: String(error),
      }),
    );
  }
}
