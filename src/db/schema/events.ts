// Calendar events (with their recurrence and reminders), standalone reminders, and the record of
// each delivery the scheduler made for them.
import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { Channel } from "./notifications";
import { users } from "./users";

export const EVENT_CATEGORIES = ["personal", "work", "birthday", "deadline", "other"] as const;
export type EventCategory = (typeof EVENT_CATEGORIES)[number];

/** An action event also notifies at each occurrence's start, by email; a reminder event does not. */
export const EVENT_TYPES = ["action", "reminder"] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const RECURRENCE_FREQS = ["daily", "weekly", "monthly", "yearly"] as const;
export type RecurrenceFreq = (typeof RECURRENCE_FREQS)[number];

export const REMINDER_STATUSES = ["pending", "sent", "canceled"] as const;
export type ReminderStatus = (typeof REMINDER_STATUSES)[number];

/** What a delivery was for: a standalone reminder, or one due point of an event. */
export const DELIVERY_SOURCES = ["reminder", "event"] as const;

export const events = sqliteTable(
  "events",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    title: text("title").notNull(),
    description: text("description"),
    category: text("category", { enum: EVENT_CATEGORIES }).notNull(),
    type: text("type", { enum: EVENT_TYPES }).notNull(),
    // The first occurrence; an all-day one from local midnight in `timezone`.
    startsAt: integer("starts_at").notNull(),
    endsAt: integer("ends_at"),
    allDay: integer("all_day", { mode: "boolean" }).notNull().default(false),
    timezone: text("timezone").notNull(),
    // The recurrence, all null for a one-off event.
    freq: text("freq", { enum: RECURRENCE_FREQS }),
    interval: integer("interval"),
    count: integer("count"),
    until: integer("until"),
    remindBeforeMinutes: text("remind_before_minutes", { mode: "json" })
      .$type<number[]>()
      .notNull(),
    channels: text("channels", { mode: "json" }).$type<Channel[]>(),
    // An upper bound of the last occurrence's end (null: endless), to leave out finished series.
    seriesEndsAt: integer("series_ends_at"),
    // When its next delivery is due (null: none left); the scheduler advances it, the sweep reads it.
    nextDueAt: integer("next_due_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    index("events_user_starts_idx").on(t.userId, t.startsAt),
    index("events_next_due_idx").on(t.nextDueAt).where(sql`${t.nextDueAt} is not null`),
  ],
);

export type EventRow = typeof events.$inferSelect;

export const reminders = sqliteTable(
  "reminders",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    title: text("title").notNull(),
    body: text("body"),
    remindAt: integer("remind_at").notNull(),
    channels: text("channels", { mode: "json" }).$type<Channel[]>(),
    status: text("status", { enum: REMINDER_STATUSES }).notNull().default("pending"),
    sentAt: integer("sent_at"),
    canceledAt: integer("canceled_at"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    index("reminders_user_remind_idx").on(t.userId, t.remindAt, t.id),
    index("reminders_pending_idx").on(t.remindAt).where(sql`${t.status} = 'pending'`),
  ],
);

export type ReminderRow = typeof reminders.$inferSelect;

/**
 * One row per delivery the scheduler made, written in the same D1 batch as its notification:
 * keyed by that notification's dedupe key, so it exists once. `delivered_at - due_at` is how
 * late it was.
 */
export const dueDeliveries = sqliteTable(
  "due_deliveries",
  {
    dedupeKey: text("dedupe_key").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    source: text("source", { enum: DELIVERY_SOURCES }).notNull(),
    sourceId: text("source_id").notNull(),
    // For an event: the occurrence's start and how long before it this was due.
    occurrenceAt: integer("occurrence_at"),
    minutesBefore: integer("minutes_before"),
    dueAt: integer("due_at").notNull(),
    deliveredAt: integer("delivered_at").notNull(),
    notificationId: text("notification_id").notNull(),
  },
  (t) => [
    index("due_deliveries_source_idx").on(t.sourceId),
    index("due_deliveries_user_idx").on(t.userId),
  ],
);
