import { and, eq } from "drizzle-orm";
import type { z } from "zod";
import { type ReminderRow, reminders } from "../db/schema";
import { msg } from "../i18n";
import type { ServiceContext } from "../lib/context";
import { ApiError, notFound } from "../lib/errors";
import { newId } from "../lib/ids";
import { keysetPage } from "../lib/pagination";
import { iso } from "../lib/time";
import { planAfterCommit } from "./scheduler-client";
import type { CreateReminderBody, ReminderSchema, RemindersQuery } from "./schemas";

export function reminderView(row: ReminderRow): z.infer<typeof ReminderSchema> {
  return {
    id: row.id,
    title: row.title,
    body: row.body,
    remind_at: iso(row.remindAt),
    channels: row.channels,
    status: row.status,
    sent_at: iso(row.sentAt),
    created_at: iso(row.createdAt),
  };
}

export async function createReminder(
  ctx: ServiceContext,
  userId: string,
  body: z.infer<typeof CreateReminderBody>,
): Promise<ReminderRow> {
  const { db, now } = ctx;
  const remindAt = Date.parse(body.remind_at);
  if (remindAt <= now) {
    throw new ApiError("invalid_request", msg("problems.invalid_request.json"), {
      errors: [{ path: "remind_at", message: msg("validation.in_future") }],
    });
  }
  const [row] = await db
    .insert(reminders)
    .values({
      id: newId("rem"),
      userId,
      title: body.title,
      body: body.body ?? null,
      remindAt,
      channels: body.channels ?? null,
      status: "pending",
      createdAt: now,
    })
    .returning();
  if (!row) throw new Error("reminder insert returned nothing");
  await planAfterCommit(ctx, userId, [{ kind: "reminder", id: row.id, dueAt: remindAt }]);
  return row;
}

/** The user's reminders, latest remind_at first, optionally of one status. */
export function listReminders(
  { db }: ServiceContext,
  userId: string,
  query: z.infer<typeof RemindersQuery>,
) {
  return keysetPage(
    query,
    ({ after, orderBy, limit }) =>
      db
        .select()
        .from(reminders)
        .where(
          and(
            eq(reminders.userId, userId),
            query.status ? eq(reminders.status, query.status) : undefined,
            after,
          ),
        )
        .orderBy(...orderBy)
        .limit(limit),
    { time: reminders.remindAt, id: reminders.id, timeOf: (row) => row.remindAt },
  );
}

/**
 * Cancels a pending reminder: it is never delivered, and stays listed as canceled. One already
 * sent cannot be; canceling twice is the same as once.
 */
export async function cancelReminder(ctx: ServiceContext, userId: string, id: string) {
  const { db, now } = ctx;
  const [row] = await db
    .select({ status: reminders.status })
    .from(reminders)
    .where(and(eq(reminders.id, id), eq(reminders.userId, userId)));
  if (!row) throw notFound("Reminder");
  if (row.status === "sent") throw new ApiError("conflict", msg("events.problems.reminder_sent"));
  const canceled = await db
    .update(reminders)
    .set({ status: "canceled", canceledAt: now })
    .where(and(eq(reminders.id, id), eq(reminders.status, "pending")))
    .returning({ id: reminders.id });
  if (canceled.length > 0) {
    await planAfterCommit(ctx, userId, [{ kind: "reminder", id, dueAt: null }]);
  } else if (row.status === "pending") {
    // Sent (or canceled) between the read and the update.
    throw new ApiError("conflict", msg("events.problems.reminder_not_pending"));
  }
}
