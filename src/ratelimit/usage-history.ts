// Allowed and denied request counts per UTC hour: the subject's usage history. The object
// reads recent days from here; closed hours reach D1's `usage_hourly` through the alarm's
// flush as absolute values, so flushing twice changes nothing.
import type { Db, Statement } from "../db";
import { usageHourly } from "../db/schema";
import { DAY, HOUR, isoDate } from "../lib/time";
import type { UsageSnapshot } from "./messages";

/** How long closed hours stay in the object (usage history reads them from here). */
const HISTORY_RETENTION = 35 * DAY;

/** A closed hour whose counts differ from what D1 was last given. */
export type ClosedHour = { hour: number; allowed: number; denied: number };

export const hourOf = (now: number): number => Math.floor(now / HOUR) * HOUR;

export class UsageHistory {
  constructor(private readonly sql: SqlStorage) {}

  /** Adds to the current hour's counts. */
  record(now: number, allowed: number, denied: number): void {
    this.sql.exec(
      "INSERT INTO hourly (hour, allowed, denied) VALUES (?, ?, ?) ON CONFLICT (hour) DO UPDATE SET allowed = allowed + excluded.allowed, denied = denied + excluded.denied",
      hourOf(now),
      allowed,
      denied,
    );
  }

  /** Totals per UTC day over the last `days` days, today included; quiet days are left out. */
  days(now: number, days: number): UsageSnapshot["history"] {
    const since = Math.floor(now / DAY) * DAY - (days - 1) * DAY;
    return this.sql
      .exec<{ day: number; allowed: number; denied: number }>(
        `SELECT (hour / ${DAY}) * ${DAY} AS day, sum(allowed) AS allowed, sum(denied) AS denied
         FROM hourly WHERE hour >= ? GROUP BY day ORDER BY day`,
        since,
      )
      .toArray()
      .map((r) => ({
        date: isoDate(r.day),
        allowed: r.allowed,
        denied: r.denied,
      }));
  }

  /** Hours closed by `now` that D1 does not hold as they are. */
  unflushed(now: number): ClosedHour[] {
    return this.sql
      .exec<ClosedHour>(
        "SELECT hour, allowed, denied FROM hourly WHERE hour < ? AND (allowed != flushed_allowed OR denied != flushed_denied)",
        hourOf(now),
      )
      .toArray();
  }

  /** D1 upserts of these hours for the subject: absolute counts, never increments. */
  statements(db: Db, subject: string, hours: readonly ClosedHour[], now: number): Statement[] {
    return hours.map((h) =>
      db
        .insert(usageHourly)
        .values({ subject, hour: h.hour, allowed: h.allowed, denied: h.denied, updatedAt: now })
        .onConflictDoUpdate({
          target: [usageHourly.subject, usageHourly.hour],
          set: { allowed: h.allowed, denied: h.denied, updatedAt: now },
        }),
    );
  }

  /** Called once D1 holds these hours (or they need not go there), so flushes skip them. */
  markFlushed(hours: readonly ClosedHour[]): void {
    for (const h of hours) {
      this.sql.exec(
        "UPDATE hourly SET flushed_allowed = ?, flushed_denied = ? WHERE hour = ?",
        h.allowed,
        h.denied,
        h.hour,
      );
    }
  }

  /** Drops flushed hours older than the retention; an unflushed one waits for its flush. */
  prune(now: number): void {
    this.sql.exec(
      "DELETE FROM hourly WHERE hour < ? AND allowed = flushed_allowed AND denied = flushed_denied",
      now - HISTORY_RETENTION,
    );
  }

  /** Whether the current hour has counts, which need a flush once it closes. */
  hasOpenHour(now: number): boolean {
    return (
      this.sql
        .exec<{ n: number }>("SELECT count(*) AS n FROM hourly WHERE hour >= ?", hourOf(now))
        .one().n > 0
    );
  }
}
