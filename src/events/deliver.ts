// Delivering what has come due for one user: each due reminder, and each due point of an event
// (a reminder before an occurrence, an action event's start). D1 decides what is still due; the
// notifications, their deliveries, the reminders' "sent" and the events' next due time commit in
// one batch, and every notification carries a dedupe key, so a repeated run (a duplicated alarm,
// the sweep racing the alarm) stores nothing twice.
import { and, eq, inArray } from "drizzle-orm";
import type { Statement } from "../db";
import {
  type Channel,
  dueDeliveries,
  type EventRow,
  events,
  type ReminderRow,
  reminders,
  users,
} from "../db/schema";
import { type Locale, negotiate } from "../i18n";
import type { ServiceContext } from "../lib/context";
import { DAY, iso } from "../lib/time";
import { isTimeZone } from "../lib/zones";
import {
  afterNotificationsCommit,
  commitNotifications,
  loadRecipients,
  type NotifyInput,
  type PreparedNotification,
  prepareNotification,
  type Recipient,
} from "../notifications/notify";
import { DEFAULT_CHANNELS } from "../notifications/preferences";
import { offsetsOf, scheduleOf } from "./definition";
import { type DuePoint, duePoints, nextDueAt } from "./recurrence";
import type { DeliveryCounts, DueItem } from "./scheduler-client";
import { eventText, reminderText } from "./texts";

/** An event's delivery due longer ago than this (the scheduler was unreachable) is let go. */
export const CATCH_UP = DAY;

/** The notification dedupe key of a reminder, and of one due point of an event. */
export const reminderKey = (id: string) => `reminder:${id}`;
export const eventPointKey = (id: string, point: DuePoint) =>
  `event:${id}:${point.occurrence}:${point.minutesBefore}`;

interface Recorded {
  source: "reminder" | "event";
  sourceId: string;
  dueAt: number;
  occurrenceAt?: number;
  minutesBefore?: number;
}

/** What one run writes: its own statements and the notifications, committed together. */
class Run {
  readonly statements: Statement[] = [];
  readonly notifications: PreparedNotification[] = [];
  skipped = 0;

  constructor(
    private readonly ctx: ServiceContext,
    readonly recipient: Recipient | undefined,
    readonly locale: Locale,
  ) {}

  /** A notification, and the record of its delivery (the same key: written once, with it). */
  notify(recipient: Recipient, input: NotifyInput & { dedupeKey: string }, record: Recorded) {
    const notification = prepareNotification(this.ctx, recipient, input);
    this.notifications.push(notification);
    this.statements.push(
      this.ctx.db
        .insert(dueDeliveries)
        .values({
          dedupeKey: input.dedupeKey,
          userId: recipient.id,
          source: record.source,
          sourceId: record.sourceId,
          occurrenceAt: record.occurrenceAt ?? null,
          minutesBefore: record.minutesBefore ?? null,
          dueAt: record.dueAt,
          deliveredAt: this.ctx.now,
          notificationId: notification.id,
        })
        .onConflictDoNothing(),
    );
  }
}

function reminderDue(run: Run, ctx: ServiceContext, row: ReminderRow, timeZone: string): DueItem {
  const { db, now } = ctx;
  const item = { kind: "reminder" as const, id: row.id };
  if (row.status !== "pending") return { ...item, dueAt: null };
  if (row.remindAt > now) return { ...item, dueAt: row.remindAt };
  const pending = and(eq(reminders.id, row.id), eq(reminders.status, "pending"));
  if (!run.recipient) {
    // Came due while the account is not active: canceled, never delivered later.
    run.skipped++;
    run.statements.push(
      db.update(reminders).set({ status: "canceled", canceledAt: now }).where(pending),
    );
    return { ...item, dueAt: null };
  }
  run.notify(
    run.recipient,
    {
      type: "reminder",
      ...reminderText(run.locale, row, timeZone),
      data: { reminder_id: row.id },
      ...(row.channels ? { channels: row.channels } : {}),
      dedupeKey: reminderKey(row.id),
    },
    { source: "reminder", sourceId: row.id, dueAt: row.remindAt },
  );
  run.statements.push(db.update(reminders).set({ status: "sent", sentAt: now }).where(pending));
  return { ...item, dueAt: null };
}

/** An action event's start also goes by email, whatever else its channels say. */
function pointChannels(row: EventRow, point: DuePoint): Channel[] | undefined {
  if (row.type !== "action" || point.minutesBefore !== 0) return row.channels ?? undefined;
  return [...new Set<Channel>([...(row.channels ?? DEFAULT_CHANNELS), "email"])];
}

function eventDue(run: Run, ctx: ServiceContext, row: EventRow, accountGone: boolean): DueItem {
  const { db, now } = ctx;
  const item = { kind: "event" as const, id: row.id };
  const due = row.nextDueAt;
  if (due === null || due > now) return { ...item, dueAt: due };
  const schedule = scheduleOf(row);
  const offsets = offsetsOf(row);
  for (const point of duePoints(schedule, offsets, due - 1, now)) {
    if (!run.recipient || point.dueAt < now - CATCH_UP) {
      run.skipped++;
      continue;
    }
    const channels = pointChannels(row, point);
    run.notify(
      run.recipient,
      {
        type: "event",
        ...eventText(run.locale, row, point),
        data: {
          event_id: row.id,
          occurrence_at: iso(point.occurrence),
          minutes_before: point.minutesBefore,
        },
        ...(channels ? { channels } : {}),
        dedupeKey: eventPointKey(row.id, point),
      },
      {
        source: "event",
        sourceId: row.id,
        dueAt: point.dueAt,
        occurrenceAt: point.occurrence,
        minutesBefore: point.minutesBefore,
      },
    );
  }
  // A deleted account's events stop; a disabled one's keep going, undelivered until it is back.
  const following = accountGone ? null : nextDueAt(schedule, offsets, now);
  run.statements.push(
    db
      .update(events)
      .set({ nextDueAt: following })
      .where(and(eq(events.id, row.id), eq(events.nextDueAt, due))),
  );
  return { ...item, dueAt: following };
}

/**
 * Delivers what of `items` is due at `ctx.now` and answers, for every item, when it is next due
 * as D1 now says (null: drop it).
 */
export async function deliverDue(
  ctx: ServiceContext,
  userId: string,
  items: DueItem[],
): Promise<{ counts: DeliveryCounts; next: DueItem[] }> {
  const { db } = ctx;
  const idsOf = (kind: DueItem["kind"]) => items.filter((i) => i.kind === kind).map((i) => i.id);
  const [[recipient], [userRows, reminderRows, eventRows]] = await Promise.all([
    loadRecipients(db, [userId]),
    db.batch([
      db
        .select({ status: users.status, locale: users.locale, timezone: users.timezone })
        .from(users)
        .where(eq(users.id, userId)),
      db
        .select()
        .from(reminders)
        .where(and(eq(reminders.userId, userId), inArray(reminders.id, idsOf("reminder")))),
      db
        .select()
        .from(events)
        .where(and(eq(events.userId, userId), inArray(events.id, idsOf("event")))),
    ]),
  ]);
  const user = userRows[0];
  const run = new Run(ctx, recipient, negotiate(undefined, user?.locale));
  const timeZone = user?.timezone && isTimeZone(user.timezone) ? user.timezone : "UTC";
  const next = [
    ...reminderRows.map((row) => reminderDue(run, ctx, row, timeZone)),
    ...eventRows.map((row) => eventDue(run, ctx, row, !user || user.status === "deleted")),
  ];
  // What D1 no longer has (deleted, or another user's): nothing more to do.
  const found = new Set(next.map((item) => `${item.kind}:${item.id}`));
  for (const item of items) {
    if (!found.has(`${item.kind}:${item.id}`)) next.push({ ...item, dueAt: null });
  }
  const { stored } = await commitNotifications(db, run.statements, run.notifications);
  await afterNotificationsCommit(ctx, stored);
  return { counts: { delivered: stored.length, skipped: run.skipped }, next };
}
