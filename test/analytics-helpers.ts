// What the analytics-*.test.ts files share: crafted subscription histories written straight
// to D1, the snapshot job run as cron runs it, and the rows it writes.
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { runJob } from "../src/cron/runner";
import { newId } from "../src/lib/ids";
import {
  insertCoupon,
  insertSubscription,
  insertUser,
  type SubscriptionFields,
  type UserFields,
} from "./fixtures";

export const MINUTE = 60_000;
export const DAY = 24 * 60 * MINUTE;
export const at = (iso: string) => Date.parse(iso);
export const day = (date: string) => Date.parse(`${date}T00:00:00Z`);

export async function wipe(): Promise<void> {
  await env.DB.batch(
    [
      "delete from revenue_daily",
      "delete from subscriber_mrr",
      "delete from usage_daily_totals",
      "delete from payments",
      "delete from coupon_redemptions",
      "delete from subscriptions",
      "delete from coupons",
      "delete from webhook_events",
      "delete from job_runs",
      "delete from users where email like '%@analytics.test'",
    ].map((q) => env.DB.prepare(q)),
  );
}

/** A user row of this suite (`…@analytics.test`, which wipe() removes); answers its id. */
export async function user(
  createdAt = at("2030-12-01T00:00:00Z"),
  status: UserFields["status"] = "active",
): Promise<string> {
  const id = newId("usr");
  await insertUser({ id, email: `${id}@analytics.test`, status, createdAt });
  return id;
}

export interface SubInput {
  userId: string;
  plan: string;
  interval?: "month" | "year";
  status?: SubscriptionFields["status"];
  couponId?: string | null;
  createdAt?: number;
  trialEnd?: number | null;
  periodStart?: number;
}

/** A `manual` subscription with a 30-day period from `periodStart`; answers its id. */
export async function sub(input: SubInput): Promise<string> {
  const createdAt = input.createdAt ?? at("2030-12-15T00:00:00Z");
  const periodStart = input.periodStart ?? createdAt;
  const row = await insertSubscription(input.userId, {
    planId: input.plan,
    interval: input.interval ?? "month",
    status: input.status ?? "active",
    couponId: input.couponId ?? null,
    currentPeriodStart: periodStart,
    currentPeriodEnd: periodStart + 30 * DAY,
    trialEnd: input.trialEnd ?? null,
    createdAt,
  });
  return row.id;
}

export async function setSub(id: string, set: string, ...values: unknown[]): Promise<void> {
  await env.DB.prepare(`update subscriptions set ${set} where id = ?`)
    .bind(...values, id)
    .run();
}

export async function coupon(terms: {
  percentOff?: number;
  amountOff?: number;
  currency?: string;
  duration: "once" | "repeating" | "forever";
  durationMonths?: number;
}): Promise<string> {
  return (await insertCoupon({ ...terms, createdAt: 0 })).id;
}

export async function activeUsers(date: string, n: number): Promise<void> {
  await env.DB.prepare(
    "insert into usage_daily_totals (day, allowed, denied, active_subjects, updated_at) values (?, 0, 0, ?, 0)",
  )
    .bind(day(date), n)
    .run();
}

/** Runs the job the way cron does, 20 minutes into the day after `date`. */
export async function snapshot(date: string): Promise<Record<string, number>> {
  const run = await runJob(env, "revenue-snapshot", "admin", day(date) + DAY + 20 * MINUTE);
  expect(run.status, run.error ?? "").toBe("ok");
  return run.counts;
}

export interface Row {
  mrr: number;
  arr: number;
  paying_subscribers: number;
  trials: number;
  subscribers_by_plan: string;
  new_mrr: number;
  expansion_mrr: number;
  contraction_mrr: number;
  churned_mrr: number;
  reactivation_mrr: number;
  new_subscribers: number;
  churned_subscribers: number;
  signups: number;
  active_users: number;
}

export async function revenue(date: string, currency = "usd") {
  const row = await env.DB.prepare(
    `select mrr, arr, paying_subscribers, trials, subscribers_by_plan, new_mrr, expansion_mrr,
       contraction_mrr, churned_mrr, reactivation_mrr, new_subscribers, churned_subscribers,
       signups, active_users
     from revenue_daily where day = ? and currency = ?`,
  )
    .bind(day(date), currency)
    .first<Row>();
  if (!row) return null;
  return { ...row, subscribers_by_plan: JSON.parse(row.subscribers_by_plan) };
}

export async function mrrRows(): Promise<Record<string, unknown>[]> {
  const { results } = await env.DB.prepare(
    "select user_id, currency, mrr, plan_id, ever_paid, updated_at from subscriber_mrr order by user_id, currency",
  ).all();
  return results;
}

export const ZERO_MOVES = {
  new_mrr: 0,
  expansion_mrr: 0,
  contraction_mrr: 0,
  churned_mrr: 0,
  reactivation_mrr: 0,
  new_subscribers: 0,
  churned_subscribers: 0,
};

/**
 * Seeded usd plans: basic 900/month, pro 2900/month (29000/year), enterprise 19900/month.
 * Jan 1: A basic, B pro, C basic pay; D trials pro.
 * Jan 2: A upgrades to pro mid-period, B downgrades to basic, C cancels, D's trial converts.
 * Jan 3: C comes back on enterprise.
 * Feb 1: A cancels.
 */
export async function history() {
  const [a, b, c, d] = [await user(), await user(), await user(), await user()];
  const subA = await sub({ userId: a, plan: "pln_basic" });
  const subB = await sub({ userId: b, plan: "pln_pro" });
  const subC = await sub({ userId: c, plan: "pln_basic" });
  const subD = await sub({
    userId: d,
    plan: "pln_pro",
    status: "trialing",
    trialEnd: at("2031-01-02T08:00:00Z"),
  });
  // One signup on each of Jan 2 and Jan 3 (no subscription), two on Jan 3 in fact.
  await user(at("2031-01-02T10:00:00Z"));
  await user(at("2031-01-03T00:00:00Z"));
  await user(at("2031-01-03T23:59:59Z"));
  await user(at("2031-01-04T00:00:00Z")); // the next day: counted on no snapshot here
  await activeUsers("2031-01-02", 5);
  await activeUsers("2031-01-03", 8);

  const steps = {
    jan1: () => snapshot("2031-01-01"),
    jan2: async () => {
      await setSub(subA, "plan_id = 'pln_pro'");
      await setSub(subB, "plan_id = 'pln_basic'");
      await setSub(subC, "status = 'canceled', ended_at = ?", at("2031-01-02T12:00:00Z"));
      await setSub(subD, "status = 'active'");
      return snapshot("2031-01-02");
    },
    jan3: async () => {
      await sub({ userId: c, plan: "pln_enterprise", createdAt: at("2031-01-03T09:00:00Z") });
      return snapshot("2031-01-03");
    },
    feb1: async () => {
      await setSub(subA, "status = 'canceled'");
      return snapshot("2031-02-01");
    },
  };
  return { users: { a, b, c, d }, steps };
}
