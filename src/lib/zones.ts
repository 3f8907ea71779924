// Wall-clock time in IANA time zones, with Intl.DateTimeFormat (in workerd) as the only source
// of zone data. A "civil" time is a local date and time written as epoch milliseconds as if
// the zone were UTC (Date.UTC(y, m, d, h, min)), so calendar arithmetic on it never sees DST.
import { z } from "@hono/zod-openapi";
import { DAY } from "./time";

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Whether `name` is a time zone Intl knows (an IANA name such as `America/New_York`, or UTC). */
export function isTimeZone(name: string): boolean {
  if (name.length === 0 || name.length > 64) return false;
  try {
    formatterFor(name);
    return true;
  } catch {
    return false;
  }
}

export const TimeZoneSchema = z
  .string()
  .max(64)
  .refine(isTimeZone, "validation.time_zone")
  .openapi({ example: "Europe/Paris" });

/** The local wall-clock time of an instant in a zone, as civil milliseconds. */
export function toCivil(instant: number, timeZone: string): number {
  const seconds = Math.floor(instant / 1000) * 1000;
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(seconds)) {
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  }
  const { year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = parts;
  const civil = Date.UTC(year, month - 1, day, hour, minute, second);
  return civil + (instant - seconds);
}

/** The zone's offset from UTC at an instant, in milliseconds (New York in winter: -5 h). */
export function offsetAt(instant: number, timeZone: string): number {
  return toCivil(instant, timeZone) - instant;
}

/**
 * The instant a local wall-clock time names in a zone. Around a DST change, like RFC 5545 and
 * Temporal's "compatible" rule: a time that happens twice (fall back) is the earlier one; a time
 * that never happens (spring forward) is moved forward by the gap (02:30 → 03:30).
 */
export function fromCivil(civil: number, timeZone: string): number {
  // The offsets in force a day either side cover every transition near this time.
  const before = offsetAt(civil - DAY, timeZone);
  const after = offsetAt(civil + DAY, timeZone);
  const candidates = [civil - before, civil - after].filter(
    (instant) => toCivil(instant, timeZone) === civil,
  );
  if (candidates.length > 0) return Math.min(...candidates);
  // In the gap: read the wall time with the offset from before the change.
  return civil - before;
}

/** Civil midnight of the civil day holding `civil`. */
export const civilDay = (civil: number): number => Math.floor(civil / DAY) * DAY;
