import { and, count, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../db";
import { notificationDeliveries, notificationStreams, notifications } from "../db/schema";
import type { ServiceContext } from "../lib/context";
import { notFound } from "../lib/errors";
import { keysetPage } from "../lib/pagination";
import { type NotificationView, notificationView } from "./view";

// The user's in-app list. Rows not in it (wanted on other channels only, or removed by the user)
// stay for their deliveries and their dedupe key, so a repeated notify never brings one back.

/** The user's notifications in the list (unread ones only with `unread`). */
const listed = (userId: string, unread = false) =>
  and(
    eq(notifications.userId, userId),
    eq(notifications.inApp, true),
    unread ? isNull(notifications.readAt) : undefined,
  );

const shown = {
  id: notifications.id,
  type: notifications.type,
  title: notifications.title,
  body: notifications.body,
  data: notifications.data,
  readAt: notifications.readAt,
  createdAt: notifications.createdAt,
};

export async function listNotifications(
  db: Db,
  userId: string,
  query: { limit: number; cursor?: string | undefined; unread: boolean },
): Promise<{ data: NotificationView[]; next_cursor: string | null }> {
  const page = await keysetPage(
    query,
    (window) =>
      db
        .select(shown)
        .from(notifications)
        .where(and(listed(userId, query.unread), window.after))
        .orderBy(...window.orderBy)
        .limit(window.limit),
    { time: notifications.createdAt, id: notifications.id, timeOf: (row) => row.createdAt },
  );
  return { data: page.items.map(notificationView), next_cursor: page.next_cursor };
}

export async function unreadCount(db: Db, userId: string): Promise<number> {
  const [row] = await db.select({ n: count() }).from(notifications).where(listed(userId, true));
  return row?.n ?? 0;
}

/** Marks one notification read (now) or unread; another user's id is a 404. */
export async function setRead(
  { db, now }: ServiceContext,
  userId: string,
  id: string,
  read: boolean,
): Promise<NotificationView> {
  const [row] = await db
    .update(notifications)
    .set({ readAt: read ? now : null })
    .where(and(eq(notifications.id, id), listed(userId)))
    .returning(shown);
  if (!row) throw notFound("Notification");
  return notificationView(row);
}

/** Marks every unread notification of the user read. */
export async function readAll({ db, now }: ServiceContext, userId: string): Promise<void> {
  await db.update(notifications).set({ readAt: now }).where(listed(userId, true));
}

/** Takes one notification out of the list; another user's id is a 404. */
export async function removeNotification(db: Db, userId: string, id: string): Promise<void> {
  const [row] = await db
    .update(notifications)
    .set({ inApp: false })
    .where(and(eq(notifications.id, id), listed(userId)))
    .returning({ id: notifications.id });
  if (!row) throw notFound("Notification");
}

/** Empties the user's list. */
export async function clearNotifications(db: Db, userId: string): Promise<void> {
  await db.update(notifications).set({ inApp: false }).where(listed(userId));
}

/** Deletes everything notifications hold about a user (account deletion's batch). */
export function deleteUserNotificationsStatements(db: Db, userId: string) {
  return [
    db.delete(notificationDeliveries).where(eq(notificationDeliveries.userId, userId)),
    db.delete(notifications).where(eq(notifications.userId, userId)),
    db.delete(notificationStreams).where(eq(notificationStreams.userId, userId)),
  ] as const;
}

/**
 * Records that the user has a stream open until `expiresAt` (kept at the latest of its
 * sockets' expiries), so notify wakes their hub only while one may be open.
 */
export async function recordStream(db: Db, userId: string, expiresAt: number): Promise<void> {
  await db
    .insert(notificationStreams)
    .values({ userId, expiresAt })
    .onConflictDoUpdate({
      target: notificationStreams.userId,
      set: { expiresAt: sql`max(${notificationStreams.expiresAt}, excluded.expires_at)` },
    });
}
