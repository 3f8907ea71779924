import { and, eq, gt, isNull, lt, or } from "drizzle-orm";
import type { z } from "zod";
import { dueDeliveries, type EventRow, events } from "../db/schema";
import { msg } from "../i18n";
import type { ServiceContext } from "../lib/context";
import { ApiError, notFound } from "../lib/errors";
import { newId } from "../lib/ids";
import { decodeCursor, encodeCursor } from "../lib/pagination";
import { DAY, iso } from "../lib/time";
import {
  type EventColumns,
  type EventFields,
  eventColumns,
  fieldsOf,
  offsetsOf,
  scheduleOf,
} from "./definition";
import { nextDueAt, type Occurrence, occurrencesFrom } from "./recurrence";
import { planAfterCommit } from "./scheduler-client";
import {
  type CreateEventBody,
  type EventSchema,
  MAX_RANGE_DAYS,
  type OccurrenceSchema,
  type OccurrencesQuery,
  type PatchEventBody,
} from "./schemas";

export function eventView(row: EventRow): z.infer<typeof EventSchema> {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    category: row.category,
    type: row.type,
    starts_at: iso(row.startsAt),
    ends_at: iso(row.endsAt),
    all_day: row.allDay,
    timezone: row.timezone,
    recurrence:
      row.freq === null
        ? null
        : { freq: row.freq, interval: row.interval ?? 1, count: row.count, until: iso(row.until) },
    remind_before_minutes: row.remindBeforeMinutes,
    channels: row.channels,
    next_due_at: iso(row.nextDueAt),
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}

/** The first delivery at or after `from` (an event's creation or edit: `now` at the latest). */
const firstDueFrom = (columns: EventColumns, from: number) =>
  nextDueAt(scheduleOf(columns), offsetsOf(columns), from - 1);

export async function createEvent(
  ctx: ServiceContext,
  userId: string,
  body: z.infer<typeof CreateEventBody>,
): Promise<EventRow> {
  const { db, now } = ctx;
  const columns = eventColumns({
    ...body,
    description: body.description ?? null,
    ends_at: body.ends_at ?? null,
    recurrence: body.recurrence
      ? {
          freq: body.recurrence.freq,
          interval: body.recurrence.interval,
          count: body.recurrence.count ?? null,
          until: body.recurrence.until ?? null,
        }
      : null,
    channels: body.channels ?? null,
  });
  const [row] = await db
    .insert(events)
    .values({
      ...columns,
      id: newId("cal"),
      userId,
      nextDueAt: firstDueFrom(columns, now),
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  if (!row) throw new Error("event insert returned nothing");
  await planAfterCommit(ctx, userId, [{ kind: "event", id: row.id, dueAt: row.nextDueAt }]);
  return row;
}

export async function getEvent({ db }: ServiceContext, userId: string, id: string) {
  const row = await db
    .select()
    .from(events)
    .where(and(eq(events.id, id), eq(events.userId, userId)))
    .get();
  if (!row) throw notFound("Event");
  return row;
}

/**
 * Applies a change to the stored event, checks the result as a whole, and re-plans it from now
 * (or from the delivery still pending, when one is overdue).
 */
export async function updateEvent(
  ctx: ServiceContext,
  userId: string,
  id: string,
  patch: z.infer<typeof PatchEventBody>,
): Promise<EventRow> {
  const { db, now } = ctx;
  const current = await getEvent(ctx, userId, id);
  const fields: EventFields = { ...fieldsOf(current) };
  for (const [key, value] of Object.entries(patch)) {
    if (value !== undefined) Object.assign(fields, { [key]: value });
  }
  if (patch.recurrence) {
    fields.recurrence = {
      freq: patch.recurrence.freq,
      interval: patch.recurrence.interval,
      count: patch.recurrence.count ?? null,
      until: patch.recurrence.until ?? null,
    };
  }
  const columns = eventColumns(fields);
  // A delivery that came due but is not sent yet (its alarm is running or late) stays due: the
  // point's dedupe key keeps a run that already sent it from sending it twice.
  const from = Math.min(now, current.nextDueAt ?? now);
  const [row] = await db
    .update(events)
    .set({ ...columns, nextDueAt: firstDueFrom(columns, from), updatedAt: now })
    .where(and(eq(events.id, id), eq(events.userId, userId)))
    .returning();
  if (!row) throw notFound("Event");
  await planAfterCommit(ctx, userId, [{ kind: "event", id, dueAt: row.nextDueAt }]);
  return row;
}

/** Deletes the event and the record of its deliveries; nothing of it is delivered any more. */
export async function deleteEvent(ctx: ServiceContext, userId: string, id: string) {
  const { db } = ctx;
  const [deleted] = await db.batch([
    db
      .delete(events)
      .where(and(eq(events.id, id), eq(events.userId, userId)))
      .returning({ id: events.id }),
    db
      .delete(dueDeliveries)
      .where(and(eq(dueDeliveries.sourceId, id), eq(dueDeliveries.userId, userId))),
  ]);
  if (deleted.length === 0) throw notFound("Event");
  await planAfterCommit(ctx, userId, [{ kind: "event", id, dueAt: null }]);
}

type OccurrenceView = z.infer<typeof OccurrenceSchema>;

function occurrenceView(row: EventRow, occurrence: Occurrence): OccurrenceView {
  return {
    event_id: row.id,
    title: row.title,
    description: row.description,
    category: row.category,
    type: row.type,
    starts_at: iso(occurrence.startsAt),
    ends_at: row.endsAt === null && !row.allDay ? null : iso(occurrence.endsAt),
    all_day: row.allDay,
    timezone: row.timezone,
    recurring: row.freq !== null,
  };
}

/**
 * The occurrences of the user's events in [from, to), in order of start (then event id), a page
 * at a time: each event's occurrences are generated lazily and merged, so a page costs its own
 * size plus one look per event, whatever the range holds.
 */
export async function listOccurrences(
  { db }: ServiceContext,
  userId: string,
  query: z.infer<typeof OccurrencesQuery>,
): Promise<{ data: OccurrenceView[]; next_cursor: string | null }> {
  const from = Date.parse(query.from);
  const to = Date.parse(query.to);
  if (from > to) {
    throw new ApiError("invalid_request", msg("problems.invalid_request.range_order"), {
      errors: [{ path: "from", message: msg("validation.not_after", { field: "to" }) }],
    });
  }
  if (to - from > MAX_RANGE_DAYS * DAY) {
    const count = MAX_RANGE_DAYS;
    throw new ApiError("invalid_request", msg("problems.invalid_request.range_span", { count }), {
      errors: [{ path: "from", message: msg("validation.days_before", { count, field: "to" }) }],
    });
  }
  const after = decodeCursor(query.cursor);
  // A cursor this range cannot have handed out (a start far outside it; an occurrence that began
  // before `from` may still overlap it) is refused rather than expanded past valid dates.
  if (after && (after.createdAt < from - MAX_RANGE_DAYS * DAY || after.createdAt >= to)) {
    throw new ApiError("invalid_request", msg("problems.invalid_request.cursor"), {
      errors: [{ path: "cursor", message: msg("validation.invalid_cursor") }],
    });
  }
  const rows = await db
    .select()
    .from(events)
    .where(
      and(
        eq(events.userId, userId),
        lt(events.startsAt, to),
        or(isNull(events.seriesEndsAt), gt(events.seriesEndsAt, from)),
      ),
    );
  const heads = rows.map((row) => {
    // Past the cursor's start at once; what overlaps it is left out below.
    const iterator = occurrencesFrom(scheduleOf(row), Math.max(from, after?.createdAt ?? from));
    const isAfterCursor = (o: Occurrence) =>
      !after ||
      o.startsAt > after.createdAt ||
      (o.startsAt === after.createdAt && row.id > after.id);
    const advance = () => {
      for (let next = iterator.next(); !next.done; next = iterator.next()) {
        if (next.value.startsAt >= to) return null;
        if (isAfterCursor(next.value)) return next.value;
      }
      return null;
    };
    return { row, advance, current: advance() };
  });
  const page: { row: EventRow; occurrence: Occurrence }[] = [];
  while (page.length <= query.limit) {
    let best: (typeof heads)[number] | undefined;
    for (const head of heads) {
      if (!head.current) continue;
      if (
        !best?.current ||
        head.current.startsAt < best.current.startsAt ||
        (head.current.startsAt === best.current.startsAt && head.row.id < best.row.id)
      ) {
        best = head;
      }
    }
    if (!best?.current) break;
    page.push({ row: best.row, occurrence: best.current });
    best.current = best.advance();
  }
  const shown = page.slice(0, query.limit);
  const last = shown.at(-1);
  return {
    data: shown.map(({ row, occurrence }) => occurrenceView(row, occurrence)),
    next_cursor:
      page.length > query.limit && last
        ? encodeCursor({ createdAt: last.occurrence.startsAt, id: last.row.id })
        : null,
  };
}
