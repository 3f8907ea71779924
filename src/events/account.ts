import { z } from "@hono/zod-openapi";
import { asc, desc, eq } from "drizzle-orm";
import type { Db } from "../db";
import { dueDeliveries, type EventRow, events, type ReminderRow, reminders } from "../db/schema";
import { reminderView } from "./reminders";
import { EventSchema, ReminderSchema } from "./schemas";
import { eventView } from "./service";

// The calendar's part of the user's account: its sections of the export (GET /v1/me/export) and
// what the account's deletion removes.

export const ExportedEvents = z
  .array(EventSchema)
  .openapi({ description: "Calendar events, by their first start" });

export const ExportedReminders = z
  .array(ReminderSchema)
  .openapi({ description: "Reminders, sent and canceled ones included, latest first" });

/** The two reads, for the export's one batch: the events, then the reminders. */
export function calendarExportQueries(db: Db, userId: string) {
  return [
    db.select().from(events).where(eq(events.userId, userId)).orderBy(asc(events.startsAt)),
    db
      .select()
      .from(reminders)
      .where(eq(reminders.userId, userId))
      .orderBy(desc(reminders.remindAt), desc(reminders.id)),
  ] as const;
}

export function exportedCalendar(eventRows: EventRow[], reminderRows: ReminderRow[]) {
  return { events: eventRows.map(eventView), reminders: reminderRows.map(reminderView) };
}

/**
 * For the account's deletion batch: the user's events, reminders and delivery records. Their
 * Scheduler finds nothing left in D1 when its alarm comes, and forgets the items.
 */
export function deleteUserCalendarStatements(db: Db, userId: string) {
  return [
    db.delete(dueDeliveries).where(eq(dueDeliveries.userId, userId)),
    db.delete(reminders).where(eq(reminders.userId, userId)),
    db.delete(events).where(eq(events.userId, userId)),
  ] as const;
}
