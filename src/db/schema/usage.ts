// Usage history: the limiter's hourly flushes and the cron's daily rollups of them.
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

// Closed hours flushed from each subject's RateLimiter object; absolute values, so re-flushing
// an hour rewrites the same numbers.
export const usageHourly = sqliteTable(
  "usage_hourly",
  {
    subject: text("subject").notNull(),
    hour: integer("hour").notNull(),
    allowed: integer("allowed").notNull(),
    denied: integer("denied").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.subject, t.hour] }),
    index("usage_hourly_hour_idx").on(t.hour),
    // The rollup finds the hours flushed since its last run by this.
    index("usage_hourly_updated_idx").on(t.updatedAt),
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
