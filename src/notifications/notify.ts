import { and, eq, inArray, sql } from "drizzle-orm";
import type { Db, Statement } from "../db";
import {
  type Channel,
  DELIVERY_CHANNELS,
  type DeliveryChannel,
  type NotificationType,
  notificationDeliveries,
  notificationStreams,
  notifications,
  users,
} from "../db/schema";
import type { UserSettings } from "../db/user-settings";
import type { NotificationDelivery } from "../env";
import type { ServiceContext } from "../lib/context";
import { newId } from "../lib/ids";
import { publishAfterCommit } from "./hub-client";
import { settingsOf, wantedChannels } from "./preferences";
import { type NotificationView, notificationView } from "./view";

export interface NotifyInput {
  type: NotificationType;
  /** Already rendered text (callers render it in the recipient's locale). */
  title: string;
  body: string;
  data?: Record<string, unknown>;
  /** Requested channels; filtered by the user's preferences. Default: in_app + email. */
  channels?: Channel[];
  /** "Each once": a second notify with the same key for the same user does nothing. */
  dedupeKey?: string;
}

/** Who a notification is for: an active user, their preferences, and whether a stream is open. */
export interface Recipient {
  id: string;
  settings: UserSettings;
  /** Until when a live stream of theirs may be open (epoch ms); null: none was opened. */
  streamUntil: number | null;
}

/** The columns a Recipient is made of; select them with `withStreams` joined. */
export const recipientColumns = {
  id: users.id,
  settings: users.settings,
  streamUntil: notificationStreams.expiresAt,
};

/** The users table with each user's stream expiry (a left join: most users have none). */
export const withStreams = (db: Db) =>
  db
    .select(recipientColumns)
    .from(users)
    .leftJoin(notificationStreams, eq(notificationStreams.userId, users.id));

export function recipientOf(row: {
  id: string;
  settings: unknown;
  streamUntil: number | null;
}): Recipient {
  return { id: row.id, settings: settingsOf(row.settings), streamUntil: row.streamUntil };
}

/** The active users among `userIds`, with their preferences (deleted or disabled ones: none). */
export async function loadRecipients(db: Db, userIds: string[]): Promise<Recipient[]> {
  if (userIds.length === 0) return [];
  const rows = await withStreams(db).where(
    and(inArray(users.id, userIds), eq(users.status, "active")),
  );
  return rows.map(recipientOf);
}

/** A notification as D1 statements, with what follows their commit. */
export interface PreparedNotification {
  id: string;
  userId: string;
  /** The notification's insert first (it answers `[{ id }]`, or `[]` when deduped), then its deliveries. */
  statements: [Statement, ...Statement[]];
  /** The queue messages of its deliveries, sent once committed. */
  deliveries: NotificationDelivery[];
  /** What the live stream gets, when it is wanted in-app and the user may have a stream open. */
  live: NotificationView | null;
}

/**
 * The statements that store a notification for a recipient: the notification (always, so its
 * deliveries and dedupe key have a row; listed in-app only when in-app is wanted) and one queued
 * delivery per other wanted channel. With a dedupe key already used by this user, the insert
 * does nothing and neither do the deliveries (they are inserted only if the notification was).
 */
export function prepareNotification(
  { db, now }: Pick<ServiceContext, "db" | "now">,
  recipient: Recipient,
  input: NotifyInput,
): PreparedNotification {
  const id = newId("ntf");
  const wanted = wantedChannels(recipient.settings, input.type, input.channels);
  const inApp = wanted.includes("in_app");
  const row = {
    id,
    userId: recipient.id,
    type: input.type,
    title: input.title,
    body: input.body,
    data: input.data ?? {},
    inApp,
    dedupeKey: input.dedupeKey ?? null,
    readAt: null,
    createdAt: now,
  };
  const insert = db
    .insert(notifications)
    .values(row)
    .onConflictDoNothing()
    .returning({ id: notifications.id });
  const channels = DELIVERY_CHANNELS.filter((channel) => wanted.includes(channel));
  const deliveries = channels.map((channel) => ({
    delivery_id: newId("ndl"),
    notification_id: id,
    user_id: recipient.id,
    channel,
  }));
  return {
    id,
    userId: recipient.id,
    statements: [insert, ...deliveries.map((d) => deliveryInsert(db, d, now))],
    deliveries,
    // Only a user who opened a stream lately has a hub worth waking.
    live: inApp && (recipient.streamUntil ?? 0) > now ? notificationView(row) : null,
  };
}

/** A queued delivery, written only when its notification was (a deduped one has no row). */
function deliveryInsert(db: Db, delivery: NotificationDelivery, now: number) {
  const channel: DeliveryChannel = delivery.channel;
  return db.insert(notificationDeliveries).select(
    db
      .select({
        id: sql<string>`${delivery.delivery_id}`.as("id"),
        notificationId: notifications.id,
        userId: notifications.userId,
        channel: sql<DeliveryChannel>`${channel}`.as("channel"),
        status: sql<"queued">`'queued'`.as("status"),
        attempts: sql<number>`0`.as("attempts"),
        lastError: sql<null>`null`.as("last_error"),
        providerId: sql<null>`null`.as("provider_id"),
        lockedUntil: sql<null>`null`.as("locked_until"),
        createdAt: sql<number>`${now}`.as("created_at"),
        updatedAt: sql<number>`${now}`.as("updated_at"),
      })
      .from(notifications)
      .where(eq(notifications.id, delivery.notification_id)),
  );
}

/** Whether a committed notification insert stored the row (false: deduped). */
export function wasStored(insertResult: unknown): boolean {
  return Array.isArray(insertResult) && insertResult.length > 0;
}

/**
 * Commits the caller's statements and the prepared notifications in ONE batch (a notification
 * exists exactly when the change does); answers every statement's result and the notifications
 * that were stored (a dedupe key already used stores nothing, and queues nothing). Follow it
 * with afterNotificationsCommit(stored).
 */
export async function commitNotifications(
  db: Db,
  statements: Statement[],
  prepared: PreparedNotification[],
): Promise<{ results: unknown[]; stored: PreparedNotification[] }> {
  const [first, ...rest] = [...statements, ...prepared.flatMap((n) => n.statements)];
  if (!first) return { results: [], stored: [] };
  const results: unknown[] = await db.batch([first, ...rest]);
  const stored: PreparedNotification[] = [];
  let at = statements.length;
  for (const notification of prepared) {
    if (wasStored(results[at])) stored.push(notification);
    at += notification.statements.length;
  }
  return { results, stored };
}

/** A queue's sendBatch takes at most this many messages. */
const QUEUE_BATCH = 100;

/** Hands deliveries to the queue; a failed send is logged (the sweep re-queues what stays queued). */
export async function sendDeliveries(
  ctx: Pick<ServiceContext, "env" | "origin">,
  deliveries: NotificationDelivery[],
): Promise<void> {
  for (let i = 0; i < deliveries.length; i += QUEUE_BATCH) {
    const chunk = deliveries.slice(i, i + QUEUE_BATCH);
    try {
      await ctx.env.NOTIFICATION_DELIVERIES.sendBatch(chunk.map((body) => ({ body })));
    } catch (error) {
      console.error(
        JSON.stringify({
          msg: "notification deliveries not queued",
          deliveries: chunk.map((m) => m.delivery_id),
          origin: ctx.origin,
          error: String(error),
        }),
      );
    }
  }
}

/**
 * After the commit of notifications that were stored: their deliveries go to the queue and each
 * in-app one to its user's open sockets (a failed push is logged, never thrown: the
 * notification is stored and listed).
 */
export async function afterNotificationsCommit(
  ctx: ServiceContext,
  stored: PreparedNotification[],
): Promise<void> {
  await sendDeliveries(
    ctx,
    stored.flatMap((n) => n.deliveries),
  );
  await Promise.all(
    stored.flatMap((n) => (n.live ? [publishAfterCommit(ctx.env, n.userId, n.live)] : [])),
  );
}

/**
 * Stores the in-app notification (when in_app is wanted), pushes it to open sockets, and queues
 * one delivery per other wanted channel. Returns the notification id, or null when a notification
 * with the same dedupe key exists for this user, or the user is not an active account.
 */
export async function notify(
  ctx: ServiceContext,
  userId: string,
  input: NotifyInput,
): Promise<string | null> {
  const [recipient] = await loadRecipients(ctx.db, [userId]);
  if (!recipient) return null;
  const { stored } = await commitNotifications(
    ctx.db,
    [],
    [prepareNotification(ctx, recipient, input)],
  );
  await afterNotificationsCommit(ctx, stored);
  return stored[0]?.id ?? null;
}
