// Admin analytics: read only from `revenue_daily` (one row per day and currency, written by the
// revenue snapshot job), a bounded range of days per request — never a scan of history. The
// dashboard adds a few indexed COUNT / GROUP BY queries on live tables.
import { createRoute, z } from "@hono/zod-openapi";
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
import { newRouter } from "../lib/context";
import { ApiError } from "../lib/errors";
import { bearerSecurity, jsonContent } from "../lib/openapi";
import { DAY } from "../lib/time";
import { ENTITLED_STATUSES } from "../policy/current";
import { isoDate, mrrSeries, type RevenueDay, summarize } from "./metrics";
import { snapshotDay, utcDay } from "./snapshot";

const tags = ["admin"];
const security = bearerSecurity;

/** Longest ranges a request may read: days of snapshots per currency. */
export const MAX_RANGE_DAYS = { day: 366, month: 1830, summary: 1830 } as const;

const DateParam = (description: string) =>
  z.iso.date().optional().openapi({ description, example: "2031-01-31" });

const MovementsSchema = z.object({
  new_mrr: z.number().int(),
  expansion_mrr: z.number().int(),
  contraction_mrr: z.number().int(),
  churned_mrr: z.number().int(),
  reactivation_mrr: z.number().int(),
  net_new_mrr: z.number().int(),
  new_subscribers: z.number().int(),
  churned_subscribers: z.number().int(),
});

const ByPlan = z
  .record(z.string(), z.number().int())
  .openapi({ description: "Paying subscribers per plan code" });

/** A snapshot's totals, as every analytics answer shows them. */
const TotalsSchema = z.object({
  mrr: z.number().int(),
  arr: z.number().int(),
  paying_subscribers: z.number().int(),
  trials: z.number().int(),
});

const SummarySchema = z
  .object({
    from: z.iso.date(),
    to: z.iso.date(),
    currencies: z.record(
      z.string(),
      TotalsSchema.extend({
        as_of: z.iso.date(),
        subscribers_by_plan: ByPlan,
        mrr_at_start: z.number().int(),
        paying_subscribers_at_start: z.number().int(),
        movements: MovementsSchema,
        logo_churn: z.number().nullable(),
        revenue_churn: z.number().nullable(),
        monthly_revenue_churn: z.number().nullable(),
        arpu: z.number().int().nullable(),
        ltv: z.number().int().nullable(),
        signups: z.number().int(),
        active_users: z.number().int(),
        avg_active_users: z.number().int(),
      }),
    ),
  })
  .openapi("AnalyticsSummary");

const SeriesSchema = z
  .object({
    interval: z.enum(["day", "month"]),
    from: z.iso.date(),
    to: z.iso.date(),
    series: z.record(
      z.string(),
      z.array(
        MovementsSchema.extend(TotalsSchema.shape).extend({
          date: z.string().openapi({ description: "YYYY-MM-DD (day) or YYYY-MM (month)" }),
          subscribers_by_plan: ByPlan,
        }),
      ),
    ),
  })
  .openapi("MrrSeries");

const DashboardSchema = z
  .object({
    users: z.object({ total: z.number().int(), active_today: z.number().int() }),
    subscribers: z.object({
      by_plan: z
        .record(z.string(), z.number().int())
        .openapi({ description: "Entitled (trialing, active, past_due) subscriptions per plan" }),
      by_status: z.record(z.string(), z.number().int()),
    }),
    mrr: z.record(z.string(), TotalsSchema.extend({ as_of: z.iso.date() })),
    failed_payments_7d: z.number().int(),
    failed_webhook_events_7d: z.number().int(),
  })
  .openapi("AdminDashboard");

/** The first day of the month `months` months before `day`'s month. */
function monthStart(day: number, monthsBack: number): number {
  const d = new Date(day);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - monthsBack, 1);
}

/** [from, to] as UTC midnights, checked: from ≤ to and at most `maxDays` days. */
function resolveRange(
  query: { from?: string | undefined; to?: string | undefined },
  now: number,
  defaultFrom: (to: number) => number,
  maxDays: number,
): { from: number; to: number } {
  const to = query.to ? Date.parse(query.to) : snapshotDay(now);
  const from = query.from ? Date.parse(query.from) : defaultFrom(to);
  if (from > to) {
    throw new ApiError("invalid_request", "from must not be after to", {
      errors: [{ path: "from", message: "must not be after to" }],
    });
  }
  if ((to - from) / DAY + 1 > maxDays) {
    throw new ApiError("invalid_request", `The range may span at most ${maxDays} days`, {
      errors: [{ path: "from", message: `at most ${maxDays} days before to` }],
    });
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

export const adminAnalyticsRoutes = newRouter();

adminAnalyticsRoutes.openapi(
  createRoute({
    method: "get",
    path: "/summary",
    operationId: "admin.analytics.summary.get",
    tags,
    security,
    summary:
      "Per currency: MRR/ARR at `to`, movements over the range, churn, ARPU, LTV, signups, active users",
    request: {
      query: z.object({
        from: DateParam("First day (UTC), inclusive; default: 29 days before `to`"),
        to: DateParam("Last day (UTC), inclusive; default: yesterday"),
      }),
    },
    responses: {
      200: jsonContent(SummarySchema, "The summary"),
    },
  }),
  async (c) => {
    const { from, to } = resolveRange(
      c.req.valid("query"),
      c.var.now,
      (end) => end - 29 * DAY,
      MAX_RANGE_DAYS.summary,
    );
    const rows = await snapshotsBetween(c.var.db, from, to);
    return c.json(
      { from: isoDate(from), to: isoDate(to), currencies: summarize(rows, from, to) },
      200,
    );
  },
);

adminAnalyticsRoutes.openapi(
  createRoute({
    method: "get",
    path: "/mrr",
    operationId: "admin.analytics.mrr.get",
    tags,
    security,
    summary: "The MRR series per currency, with the movements of each day or month",
    request: {
      query: z.object({
        interval: z.enum(["day", "month"]).default("day"),
        from: DateParam("First day (UTC); default: 30 days, or 12 months, back"),
        to: DateParam("Last day (UTC), inclusive; default: yesterday"),
      }),
    },
    responses: {
      200: jsonContent(SeriesSchema, "The series"),
    },
  }),
  async (c) => {
    const query = c.req.valid("query");
    const { from, to } = resolveRange(
      query,
      c.var.now,
      query.interval === "day" ? (end) => end - 29 * DAY : (end) => monthStart(end, 11),
      MAX_RANGE_DAYS[query.interval],
    );
    const rows = await snapshotsBetween(c.var.db, from, to);
    return c.json(
      {
        interval: query.interval,
        from: isoDate(from),
        to: isoDate(to),
        series: mrrSeries(rows, query.interval),
      },
      200,
    );
  },
);

export const adminDashboardRoutes = newRouter();

adminDashboardRoutes.openapi(
  createRoute({
    method: "get",
    path: "/",
    operationId: "admin.dashboard.get",
    tags,
    security,
    summary: "Users, subscribers, the latest MRR per currency and the last 7 days' failures",
    responses: {
      200: jsonContent(DashboardSchema, "The dashboard"),
    },
  }),
  async (c) => {
    const db = c.var.db;
    const now = c.var.now;
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
    const byStatusOut: Record<string, number> = Object.fromEntries(
      SUBSCRIPTION_STATUSES.map((status) => [status, 0]),
    );
    for (const row of byStatus) byStatusOut[row.status] = row.n;
    return c.json(
      {
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
      },
      200,
    );
  },
);
