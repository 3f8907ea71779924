// An event as the API states it (ISO strings, a date alone for all-day events) and as D1 stores
// it (instants), both ways, with the checks that need more than one field.
import type { Channel, EventCategory, EventRow, EventType, RecurrenceFreq } from "../db/schema";
import { msg } from "../i18n";
import { ApiError, type FieldError } from "../lib/errors";
import { DAY, iso, isoDate } from "../lib/time";
import { civilDay, fromCivil, toCivil } from "../lib/zones";
import { type Schedule, seriesEnd } from "./recurrence";

/** What a client sends for an event, once zod has checked each field on its own. */
export interface EventFields {
  title: string;
  description: string | null;
  category: EventCategory;
  type: EventType;
  starts_at: string;
  ends_at: string | null;
  all_day: boolean;
  timezone: string;
  recurrence: {
    freq: RecurrenceFreq;
    interval: number;
    count: number | null;
    until: string | null;
  } | null;
  remind_before_minutes: number[];
  channels: Channel[] | null;
}

/** The stored columns of an event, except its id, owner, next due time and timestamps. */
export type EventColumns = Omit<
  EventRow,
  "id" | "userId" | "nextDueAt" | "createdAt" | "updatedAt"
>;

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * An instant from a date-time, or from a date alone: an all-day event's local midnight, or with
 * `endOfDay` (a recurrence's `until`, for any event) the last millisecond of that local day. An
 * all-day event's start or end given as a date-time is taken to its local day.
 */
function instantOf(
  text: string,
  path: string,
  fields: EventFields,
  errors: FieldError[],
  endOfDay = false,
): number {
  const tz = fields.timezone;
  if (DATE_ONLY.test(text)) {
    if (!fields.all_day && !endOfDay) {
      errors.push({ path, message: msg("events.validation.date_time_needed") });
    }
    const midnight = Date.parse(`${text}T00:00:00Z`);
    return endOfDay ? fromCivil(midnight + DAY, tz) - 1 : fromCivil(midnight, tz);
  }
  const instant = Date.parse(text);
  if (!fields.all_day || endOfDay) return instant;
  return fromCivil(civilDay(toCivil(instant, tz)), tz);
}

/** Checks an event's fields together and answers its columns; a 400 names each bad field. */
export function eventColumns(fields: EventFields): EventColumns {
  const errors: FieldError[] = [];
  const startsAt = instantOf(fields.starts_at, "starts_at", fields, errors);
  const endsAt =
    fields.ends_at === null ? null : instantOf(fields.ends_at, "ends_at", fields, errors);
  if (endsAt !== null && endsAt <= startsAt) {
    const after = fields.all_day ? "after_all_day" : "after";
    errors.push({
      path: "ends_at",
      message: msg(`events.validation.${after}`, { field: "starts_at" }),
    });
  }
  const rule = fields.recurrence;
  let until: number | null = null;
  if (rule?.until != null) {
    until = instantOf(rule.until, "recurrence.until", fields, errors, true);
    if (until < startsAt) {
      errors.push({
        path: "recurrence.until",
        message: msg("events.validation.not_before", { field: "starts_at" }),
      });
    }
  }
  if (rule && rule.count !== null && rule.until !== null) {
    errors.push({
      path: "recurrence.count",
      message: msg("events.validation.not_with", { field: "recurrence.until" }),
    });
  }
  if (errors.length > 0) {
    throw new ApiError("invalid_request", msg("problems.invalid_request.json"), { errors });
  }
  const schedule: Schedule = {
    startsAt,
    endsAt,
    allDay: fields.all_day,
    timezone: fields.timezone,
    recurrence: rule && { freq: rule.freq, interval: rule.interval, count: rule.count, until },
  };
  return {
    title: fields.title,
    description: fields.description,
    category: fields.category,
    type: fields.type,
    startsAt,
    endsAt,
    allDay: fields.all_day,
    timezone: fields.timezone,
    freq: rule?.freq ?? null,
    interval: rule?.interval ?? null,
    count: rule?.count ?? null,
    until,
    remindBeforeMinutes: [...new Set(fields.remind_before_minutes)].sort((a, b) => b - a),
    channels: fields.channels,
    seriesEndsAt: seriesEnd(schedule),
  };
}

/** A stored instant as the client would send it again: an all-day event's as its local date. */
function textOf(instant: number, row: EventRow): string {
  return row.allDay ? isoDate(toCivil(instant, row.timezone)) : iso(instant);
}

/** A stored event as fields, for a change to apply to. */
export function fieldsOf(row: EventRow): EventFields {
  return {
    title: row.title,
    description: row.description,
    category: row.category,
    type: row.type,
    starts_at: textOf(row.startsAt, row),
    ends_at: row.endsAt === null ? null : textOf(row.endsAt, row),
    all_day: row.allDay,
    timezone: row.timezone,
    recurrence:
      row.freq === null
        ? null
        : {
            freq: row.freq,
            interval: row.interval ?? 1,
            count: row.count,
            until: row.until === null ? null : iso(row.until),
          },
    remind_before_minutes: row.remindBeforeMinutes,
    channels: row.channels,
  };
}

/** When an event's occurrences are. */
export function scheduleOf(row: EventColumns): Schedule {
  return {
    startsAt: row.startsAt,
    endsAt: row.endsAt,
    allDay: row.allDay,
    timezone: row.timezone,
    recurrence:
      row.freq === null
        ? null
        : { freq: row.freq, interval: row.interval ?? 1, count: row.count, until: row.until },
  };
}

/**
 * How many minutes before each occurrence the event delivers something: its reminders, and for
 * an action event its start (0).
 */
export function offsetsOf(row: Pick<EventColumns, "type" | "remindBeforeMinutes">): number[] {
  const offsets = new Set(row.remindBeforeMinutes);
  if (row.type === "action") offsets.add(0);
  return [...offsets].sort((a, b) => b - a);
}
