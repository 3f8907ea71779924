// Occurrences of an event, expanded in its own time zone: a daily 09:00 event in New York is at
// 09:00 local on both sides of a DST change. Pure: instants in, instants out.
//
// Rules (RFC 5545 where it has one): an occurrence repeats the first one's local time and date
// pattern (weekly: its weekday; monthly: its day of the month; yearly: its month and day). A
// period whose date does not exist is skipped, not moved: monthly on the 31st has no occurrence
// in April; yearly on Feb 29 occurs in leap years only. `count` counts occurrences (skipped
// periods are not occurrences) including the first; `until` is inclusive (an occurrence may start
// at it). A timed occurrence keeps the first one's length in real time; an all-day occurrence
// runs from local midnight for the same number of calendar days (23 or 25 hours across DST).
import type { RecurrenceFreq } from "../db/schema";
import { DAY, MINUTE } from "../lib/time";
import { fromCivil, toCivil } from "../lib/zones";

export interface Recurrence {
  freq: RecurrenceFreq;
  /** Every `interval` days, weeks, months or years (1 or more). */
  interval: number;
  count: number | null;
  until: number | null;
}

export interface Schedule {
  startsAt: number;
  /** Exclusive end of the first occurrence; null: a moment (timed) or one day (all-day). */
  endsAt: number | null;
  allDay: boolean;
  timezone: string;
  recurrence: Recurrence | null;
}

export interface Occurrence {
  startsAt: number;
  /** Equals startsAt for a timed event without an end. */
  endsAt: number;
}

/** One thing an event delivers: a reminder `minutesBefore` an occurrence, or its start (0). */
export interface DuePoint {
  occurrence: number;
  minutesBefore: number;
  dueAt: number;
}

/** No occurrence is generated past the year 9999. */
const LAST_CIVIL = Date.UTC(10000, 0, 1);
/** Civil and real time differ by a zone's offset (under a day); two days cover it. */
const MARGIN = 2 * DAY;

/** How long each occurrence lasts: real milliseconds (timed) or calendar days (all-day). */
function lengthOf(schedule: Schedule): { ms: number; days: number } {
  if (!schedule.allDay) {
    return { ms: schedule.endsAt === null ? 0 : schedule.endsAt - schedule.startsAt, days: 0 };
  }
  if (schedule.endsAt === null) return { ms: DAY, days: 1 };
  const tz = schedule.timezone;
  const days = Math.max(
    1,
    Math.round((toCivil(schedule.endsAt, tz) - toCivil(schedule.startsAt, tz)) / DAY),
  );
  return { ms: days * DAY, days };
}

/**
 * The civil start of period `k`, and whether that date exists (Feb 30 and Feb 29 2027 do not;
 * Date.UTC rolls them into the next month).
 */
function periodStart(
  rule: Recurrence,
  first: number,
  k: number,
): { civil: number; exists: boolean } {
  const date = new Date(first);
  const step = k * rule.interval;
  const [y, m, d] = [date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()];
  const timeOfDay = first - Date.UTC(y, m, d);
  switch (rule.freq) {
    case "daily":
      return { civil: first + step * DAY, exists: true };
    case "weekly":
      return { civil: first + step * 7 * DAY, exists: true };
    case "monthly":
    case "yearly": {
      const civil = rule.freq === "monthly" ? Date.UTC(y, m + step, d) : Date.UTC(y + step, m, d);
      return { civil: civil + timeOfDay, exists: new Date(civil).getUTCDate() === d };
    }
  }
}

/** Daily and weekly periods all exist, so the first one worth looking at is computed, not walked. */
function firstUsefulPeriod(rule: Recurrence, first: number, civilFloor: number): number {
  const period = rule.freq === "daily" ? DAY : rule.freq === "weekly" ? 7 * DAY : 0;
  if (period === 0 || civilFloor <= first) return 0;
  return Math.floor((civilFloor - first) / (period * rule.interval));
}

/**
 * Every occurrence, in order, that is still going on at `from` or starts at or after it. Endless
 * for an endless rule: take what you need.
 */
export function* occurrencesFrom(schedule: Schedule, from: number): Generator<Occurrence> {
  const tz = schedule.timezone;
  const length = lengthOf(schedule);
  const make = (civil: number, start: number): Occurrence => ({
    startsAt: start,
    endsAt: schedule.allDay ? fromCivil(civil + length.days * DAY, tz) : start + length.ms,
  });
  const wanted = (o: Occurrence) => o.endsAt > from || o.startsAt >= from;
  const first = toCivil(schedule.startsAt, tz);
  const rule = schedule.recurrence;
  if (!rule) {
    const only = make(first, schedule.startsAt);
    if (wanted(only)) yield only;
    return;
  }
  // Periods that start this early (civil) cannot reach `from`: counted, never converted.
  const civilFloor = toCivil(from, tz) - length.ms - MARGIN;
  const civilCeiling = rule.until === null ? LAST_CIVIL : toCivil(rule.until, tz) + MARGIN;
  let k = firstUsefulPeriod(rule, first, civilFloor);
  // Before the jump every period was an occurrence (daily and weekly only jump).
  let seen = k;
  for (; ; k++) {
    if (rule.count !== null && seen >= rule.count) return;
    const { civil, exists } = periodStart(rule, first, k);
    if (civil >= LAST_CIVIL || civil > civilCeiling) return;
    if (!exists) continue;
    seen++;
    if (civil < civilFloor) continue;
    const start = fromCivil(civil, tz);
    if (rule.until !== null && start > rule.until) return;
    const occurrence = make(civil, start);
    if (wanted(occurrence)) yield occurrence;
  }
}

/** The occurrences overlapping [from, to) (a moment counts when it is in the range), in order. */
export function occurrencesBetween(schedule: Schedule, from: number, to: number): Occurrence[] {
  const found: Occurrence[] = [];
  for (const occurrence of occurrencesFrom(schedule, from)) {
    if (occurrence.startsAt >= to) break;
    found.push(occurrence);
  }
  return found;
}

/** The first occurrence that starts strictly after `t`, or null when the series is over. */
function firstStartingAfter(schedule: Schedule, t: number): Occurrence | null {
  for (const occurrence of occurrencesFrom(schedule, t + 1)) {
    if (occurrence.startsAt > t) return occurrence;
  }
  return null;
}

/**
 * When the next delivery of an event is due strictly after `after`: the earliest of, for each
 * offset, the first occurrence starting more than that many minutes after `after`. Null: none.
 */
export function nextDueAt(schedule: Schedule, offsets: number[], after: number): number | null {
  let next: number | null = null;
  for (const minutes of offsets) {
    const occurrence = firstStartingAfter(schedule, after + minutes * MINUTE);
    if (!occurrence) continue;
    const due = occurrence.startsAt - minutes * MINUTE;
    if (next === null || due < next) next = due;
  }
  return next;
}

/** Every delivery due in (after, upTo], earliest first (then the occurrence, then the offset). */
export function duePoints(
  schedule: Schedule,
  offsets: number[],
  after: number,
  upTo: number,
): DuePoint[] {
  const points: DuePoint[] = [];
  for (const minutes of offsets) {
    const shift = minutes * MINUTE;
    for (const occurrence of occurrencesFrom(schedule, after + shift + 1)) {
      if (occurrence.startsAt <= after + shift) continue;
      if (occurrence.startsAt > upTo + shift) break;
      points.push({
        occurrence: occurrence.startsAt,
        minutesBefore: minutes,
        dueAt: occurrence.startsAt - shift,
      });
    }
  }
  return points.sort(
    (a, b) => a.dueAt - b.dueAt || a.occurrence - b.occurrence || b.minutesBefore - a.minutesBefore,
  );
}

/**
 * An upper bound of when the series' last occurrence ends (null: it never ends), so a query for
 * a range can leave out the events that are over.
 */
export function seriesEnd(schedule: Schedule): number | null {
  const rule = schedule.recurrence;
  const length = lengthOf(schedule).ms + MARGIN;
  if (!rule) return schedule.startsAt + length;
  if (rule.until !== null) return rule.until + length;
  if (rule.count === null) return null;
  let last = schedule.startsAt;
  for (const occurrence of occurrencesFrom(schedule, schedule.startsAt)) last = occurrence.startsAt;
  return last + length;
}
