// Usage history: the limiter's hourly flushes and the cron's daily rollups of them.
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

// Closed hours flushed from each subject's RateLimiter object; absolute values, so re-flushing
// an hour rewrites the same numbers. `rolled_*` are the counts the rollup has already added to
// usage_daily (null: none yet); a row whose counts differ from them is what the next rollup adds.
export const usageHourly = sqliteTable(
  "usage_hourly",
  {
    subject: text("subject").notNull(),
    hour: integer("hour").notNull(),
    allowed: integer("allowed").notNull(),
    denied: integer("denied").notNull(),
    updatedAt: integer("updated_at").notNull(),
    rolledAllowed: integer("rolled_allowed"),
    rolledDenied: integer("rolled_denied"),
  },
  (t) => [
    primaryKey({ columns: [t.subject, t.hour] }),
    index("usage_hourly_hour_idx").on(t.hour),
    // Only the rows the rollup has still to add: it reads these and nothing else.
    index("usage_hourly_unrolled_idx")
      .on(t.hour)
      .where(
        sql`${t.rolledAllowed} IS NULL OR ${t.allowed} != ${t.rolledAllowed} OR ${t.denied} != ${t.rolledDenied}`,
      ),
  ],
);

export const usageDaily = sqliteTable(
  "usage_daily",
  {
    subject: text("subject").notNull(),
    // UTC midnight (ms).
    day: integer("day").notNull(),
    allowed: integer("allowed").notNull(),
    denied: integer("denied").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.subject, t.day] }), index("usage_daily_day_idx").on(t.day)],
);

export const usageDailyTotals = sqliteTable("usage_daily_totals", {
  day: integer("day").primaryKey(),
  allowed: integer("allowed").notNull(),
  denied: integer("denied").notNull(),
  activeSubjects: integer("active_subjects").notNull(),
  updatedAt: integer("updated_at").notNull(),
});
