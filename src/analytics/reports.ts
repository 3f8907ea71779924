// Admin analytics: read only from `revenue_daily` (one row per day and currency, written by the
// revenue snapshot job), a bounded range of days per request — never a scan of history. The
// dashboard adds a few indexed COUNT / GROUP BY queries on live tables.
import { and, asc, count, eq, gte, inArray, lte, max, ne } from "drizzle-orm";
import type { Db } from "../db";
import {
  payments,
  plans,
  revenueDaily,
  SUBSCRIPTION_STATUSES,
  subscriptions,
  usageDailyTotals,
  users,
  webhookEvents,
} from "../db/schema";
import { msg } from "../i18n";
import { ApiError } from "../lib/errors";
import { DAY, isoDate, utcDay } from "../lib/time";
import { ENTITLED_STATUSES } from "../policy/current";
import { mrrSeries, type RevenueDay, summarize } from "./metrics";
import { snapshotDay } from "./snapshot";

/** Longest ranges a request may read: days of snapshots per currency. */
export const MAX_RANGE_DAYS = { day: 366, month: 1830, summary: 1830 } as const;

/** A range as the API takes it: ISO dates, each optional. */
export interface RangeQuery {
  from?: string | undefined;
  to?: string | undefined;
}

/** The first day of the month `months` months before `day`'s month. */
function monthStart(day: number, monthsBack: number): number {
  const d = new Date(day);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - monthsBack, 1);
}

/** [from, to] as UTC midnights, checked: from ≤ to and at most `maxDays` days. */
function resolveRange(
  query: RangeQuery,
  now: number,
  defaultFrom: (to: number) => number,
  maxDays: number,
): { from: number; to: number } {
  const to = query.to ? Date.parse(query.to) : snapshotDay(now);
  const from = query.from ? Date.parse(query.from) : defaultFrom(to);
  if (from > to) {
    throw new ApiError("invalid_request", msg("problems.invalid_request.range_order"), {
      errors: [{ path: "from", message: msg("validation.not_after", { field: "to" }) }],
    });
  }
  if ((to - from) / DAY + 1 > maxDays) {
    throw new ApiError(
      "invalid_request",
      msg("problems.invalid_request.range_span", { count: maxDays }),
      {
        errors: [
          { path: "from", message: msg("validation.days_before", { count: maxDays, field: "to" }) },
        ],
      },
    );
  }
  return { from, to };
}

/** The snapshots of [from, to], every currency: a range read on the (day, currency) key. */
async function snapshotsBetween(db: Db, from: number, to: number): Promise<RevenueDay[]> {
  return db
    .select()
    .from(revenueDaily)
    .where(and(gte(revenueDaily.day, from), lte(revenueDaily.day, to)))
    .orderBy(asc(revenueDaily.day), asc(revenueDaily.currency));
}

/** Per currency over the range (default: the 30 days to yesterday): levels, movements, rates. */
export async function analyticsSummary(db: Db, query: RangeQuery, now: number) {
  const { from, to } = resolveRange(query, now, (end) => end - 29 * DAY, MAX_RANGE_DAYS.summary);
  const rows = await snapshotsBetween(db, from, to);
  return { from: isoDate(from), to: isoDate(to), currencies: summarize(rows, from, to) };
}

/** The MRR series per currency, by day (default: 30 days) or by month (default: 12 months). */
export async function mrrReport(
  db: Db,
  query: RangeQuery & { interval: "day" | "month" },
  now: number,
) {
  const { from, to } = resolveRange(
    query,
    now,
    query.interval === "day" ? (end) => end - 29 * DAY : (end) => monthStart(end, 11),
    MAX_RANGE_DAYS[query.interval],
  );
  const rows = await snapshotsBetween(db, from, to);
  return {
    interval: query.interval,
    from: isoDate(from),
    to: isoDate(to),
    series: mrrSeries(rows, query.interval),
  };
}

/** Users, subscribers, the newest snapshot's MRR per currency and the last 7 days' failures. */
export async function dashboard(db: Db, now: number) {
  const weekAgo = now - 7 * DAY;
  const latestDay = db.select({ day: max(revenueDaily.day) }).from(revenueDaily);
  const [userCount, active, byPlan, byStatus, latest, failedPayments, failedEvents] =
    await db.batch([
      db.select({ n: count() }).from(users).where(ne(users.status, "deleted")),
      db
        .select({ n: usageDailyTotals.activeSubjects })
        .from(usageDailyTotals)
        .where(eq(usageDailyTotals.day, utcDay(now))),
      db
        .select({ code: plans.code, n: count() })
        .from(subscriptions)
        .innerJoin(plans, eq(plans.id, subscriptions.planId))
        .where(inArray(subscriptions.status, [...ENTITLED_STATUSES]))
        .groupBy(plans.code),
      db
        .select({ status: subscriptions.status, n: count() })
        .from(subscriptions)
        .groupBy(subscriptions.status),
      db.select().from(revenueDaily).where(eq(revenueDaily.day, latestDay)),
      db
        .select({ n: count() })
        .from(payments)
        .where(and(gte(payments.createdAt, weekAgo), eq(payments.status, "failed"))),
      db
        .select({ n: count() })
        .from(webhookEvents)
        .where(and(eq(webhookEvents.status, "failed"), gte(webhookEvents.receivedAt, weekAgo))),
    ]);
  // Every status is listed, 0 when no subscription has it, so the answer's shape never varies.
  const byStatusOut: Record<string, number> = Object.fromEntries(
    SUBSCRIPTION_STATUSES.map((status) => [status, 0]),
  );
  for (const row of byStatus) byStatusOut[row.status] = row.n;
  return {
    users: { total: userCount[0]?.n ?? 0, active_today: active[0]?.n ?? 0 },
    subscribers: {
      by_plan: Object.fromEntries(byPlan.map((row) => [row.code, row.n])),
      by_status: byStatusOut,
    },
    mrr: Object.fromEntries(
      latest.map((row) => [
        row.currency,
        {
          as_of: isoDate(row.day),
          mrr: row.mrr,
          arr: row.arr,
          paying_subscribers: row.payingSubscribers,
          trials: row.trials,
        },
      ]),
    ),
    failed_payments_7d: failedPayments[0]?.n ?? 0,
    failed_webhook_events_7d: failedEvents[0]?.n ?? 0,
  };
}
