// Notifications: what a user is told (in-app), and each delivery of it on another channel.
import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { users } from "./users";

export const NOTIFICATION_TYPES = [
  "system",
  "billing",
  "renewal",
  "expiry",
  "usage",
  "reminder",
  "event",
  "broadcast",
] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

/** Types about the account and its money: always in-app, and a user cannot turn them off. */
export const MANDATORY_NOTIFICATION_TYPES = [
  "system",
  "billing",
] as const satisfies readonly NotificationType[];

export const CHANNELS = ["in_app", "email", "sms", "push"] as const;
export type Channel = (typeof CHANNELS)[number];

/** The channels delivered from the queue (in-app is the notification row itself). */
export const DELIVERY_CHANNELS = ["email", "sms", "push"] as const;
export type DeliveryChannel = (typeof DELIVERY_CHANNELS)[number];

export const DELIVERY_STATUSES = ["queued", "sent", "failed", "skipped"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const notifications = sqliteTable(
  "notifications",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    type: text("type", { enum: NOTIFICATION_TYPES }).notNull(),
    title: text("title").notNull(),
    body: text("body").notNull(),
    data: text("data", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    // False when the user wanted it on other channels only: kept for its deliveries and its
    // dedupe key, never listed.
    inApp: integer("in_app", { mode: "boolean" }).notNull(),
    // "Each once": a second notification with the same key for the same user is not stored.
    dedupeKey: text("dedupe_key"),
    readAt: integer("read_at"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("notifications_dedupe_unique").on(t.userId, t.dedupeKey),
    index("notifications_user_created_idx")
      .on(t.userId, t.createdAt, t.id)
      .where(sql`${t.inApp} = 1`),
    index("notifications_user_unread_idx")
      .on(t.userId, t.createdAt, t.id)
      .where(sql`${t.inApp} = 1 and ${t.readAt} is null`),
    // Retention: rows out of the list go after a while (cron/retention.ts).
    index("notifications_unlisted_idx").on(t.createdAt).where(sql`${t.inApp} = 0`),
  ],
);

export type Notification = typeof notifications.$inferSelect;

export const notificationDeliveries = sqliteTable(
  "notification_deliveries",
  {
    id: text("id").primaryKey(),
    notificationId: text("notification_id")
      .notNull()
      .references(() => notifications.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    channel: text("channel", { enum: DELIVERY_CHANNELS }).notNull(),
    status: text("status", { enum: DELIVERY_STATUSES }).notNull().default("queued"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    // The outbox id (email), the provider's message id (SMS) or the tokens reached (push).
    providerId: text("provider_id"),
    // A delivery in progress holds the row until then, so duplicate messages send once.
    lockedUntil: integer("locked_until"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("notification_deliveries_channel_unique").on(t.notificationId, t.channel),
    index("notification_deliveries_user_idx").on(t.userId),
    index("notification_deliveries_queued_idx").on(t.createdAt).where(sql`${t.status} = 'queued'`),
  ],
);

export type NotificationDeliveryRow = typeof notificationDeliveries.$inferSelect;

/**
 * Until when a user may have a live stream open (the latest expiry of the access tokens their
 * sockets were opened with): notify wakes the user's NotificationHub only before then.
 */
export const notificationStreams = sqliteTable("notification_streams", {
  userId: text("user_id")
    .primaryKey()
    .references(() => users.id),
  expiresAt: integer("expires_at").notNull(),
});

export const BROADCAST_STATUSES = ["sending", "done"] as const;

/** Who an admin's broadcast goes to: named users, a plan's subscribers, or every active user. */
export type BroadcastAudience = { user_ids: string[] } | { plan_id: string } | { all: true };

/** An admin's notification to many users, fanned out from the queue a page at a time. */
export const notificationBroadcasts = sqliteTable("notification_broadcasts", {
  id: text("id").primaryKey(),
  actorId: text("actor_id").notNull(),
  audience: text("audience", { mode: "json" }).$type<BroadcastAudience>().notNull(),
  title: text("title").notNull(),
  body: text("body").notNull(),
  channels: text("channels", { mode: "json" }).$type<Channel[]>().notNull(),
  /** How many active users the audience held when it was sent. */
  recipients: integer("recipients").notNull(),
  /** The last user id notified (pages go by user id); null before the first page. */
  cursor: text("cursor"),
  notified: integer("notified").notNull().default(0),
  status: text("status", { enum: BROADCAST_STATUSES }).notNull().default("sending"),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

export type NotificationBroadcast = typeof notificationBroadcasts.$inferSelect;
