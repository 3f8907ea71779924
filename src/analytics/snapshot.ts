// The daily revenue snapshot: each subscriber's MRR, the day's MRR movements and one
// `revenue_daily` row per currency, which is all the analytics API reads.
//
// How a day is counted exactly once (idempotence):
// - `subscriber_mrr` holds each (user, currency)'s MRR as of the snapshot day in `updated_at`
//   (UTC midnight of that day). A movement is found by comparing today's MRR with that row.
// - A movement is recorded in the same D1 batch (one transaction) that advances the user's row
//   to the snapshot day: the day's `revenue_daily` counters are incremented and the row is moved
//   on together, or neither is. Rows already at the snapshot day are skipped, so a second run for
//   the same day — or a run resuming one that died half-way — adds nothing twice. Both
//   statements re-check `updated_at` inside the transaction, so even two runs at the same time
//   cannot count a user twice.
// - The day's levels (MRR, ARR, paying subscribers, subscribers by plan) are then summed from
//   `subscriber_mrr`, so `mrr(day) = mrr(previous snapshot) + new + expansion + reactivation −
//   contraction − churned` holds exactly; a re-run rewrites them (and trials, signups, active
//   users) with the same values.
// - A day older than the newest snapshot is refused: the past state of subscriptions is not
//   stored, so it cannot be recomputed.
//
// Bounded: users are walked in id order, PAGE at a time; each page costs one look-up of the
// page's last id, one read batch (the page's paying subscriptions with their coupons, and its
// `subscriber_mrr` rows — both id-range scans on indexes) and at most one write batch of two
// statements (rows travel as one JSON parameter, so no statement nears D1's 100 bound
// parameters). Three D1 round trips per 1,000 users, linear in users, never a scan of history.
import { and, asc, type Column, count, eq, gt, gte, inArray, lt, lte, max, sql } from "drizzle-orm";
import { couponCovers, couponDiscount } from "../coupons/discount";
import type { Db } from "../db";
import {
  type Coupon,
  coupons,
  type Interval,
  type Plan,
  plans,
  revenueDaily,
  subscriberMrr,
  subscriptions,
  usageDailyTotals,
  users,
} from "../db/schema";
import type { Job, JobCounts } from "../lib/jobs";
import { MONTHS_PER, mulDivRound } from "../lib/money";
import { DAY } from "../lib/time";
import { addMonths } from "../lib/windows";

/** Users per page of the walk. */
export const PAGE = 1000;

/** Statuses that bill: a trial is entitled but pays nothing yet, so it is no MRR. */
export const PAYING_STATUSES = ["active", "past_due"] as const;

/** UTC midnight of the day `ms` falls in. */
export function utcDay(ms: number): number {
  return Math.floor(ms / DAY) * DAY;
}

/** The day a run at `now` snapshots: the UTC day that ended before `now`'s day began. */
export function snapshotDay(now: number): number {
  return utcDay(now) - DAY;
}

/** Whole months from `from` to `to` (0 when `to` is not later): the largest k with from + k months ≤ to. */
export function wholeMonths(from: number, to: number): number {
  if (to <= from) return 0;
  const a = new Date(from);
  const b = new Date(to);
  let months = (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + (b.getUTCMonth() - a.getUTCMonth());
  if (addMonths(from, months) > to) months -= 1;
  return Math.max(0, months);
}

/** The subscription fields that set what it bills. */
export interface BillingSubscription {
  planId: string;
  interval: Interval;
  createdAt: number;
  trialEnd: number | null;
  currentPeriodStart: number | null;
}

export type PlanPrice = Pick<Plan, "id" | "code" | "priceMonth" | "priceYear" | "currency">;
export type CouponTermsFull = Pick<
  Coupon,
  "percentOff" | "amountOff" | "currency" | "duration" | "durationMonths" | "planIds"
>;

/**
 * How many months after the coupon's first period the current period starts. The coupon's first
 * period is the subscription's first paid one: it starts when the trial ends, or when the
 * subscription was created. Providers' period boundaries drift by seconds to hours from ours,
 * so a period that starts within a day of a month boundary counts as starting on it.
 */
export function periodStartMonth(subscription: BillingSubscription): number {
  const firstPaid = subscription.trialEnd ?? subscription.createdAt;
  const periodStart = subscription.currentPeriodStart ?? firstPaid;
  return wholeMonths(firstPaid, periodStart + DAY);
}

/** Whether a coupon discounts this subscription's current period (plan, currency and duration). */
export function couponApplies(
  coupon: CouponTermsFull,
  subscription: BillingSubscription,
  plan: PlanPrice,
): boolean {
  if (coupon.planIds && !coupon.planIds.includes(plan.id)) return false;
  const isAmount = coupon.percentOff === null || coupon.percentOff === undefined;
  if (
    isAmount &&
    coupon.currency &&
    coupon.currency.toLowerCase() !== plan.currency.toLowerCase()
  ) {
    return false;
  }
  const startMonth = periodStartMonth(subscription);
  return couponCovers(coupon, startMonth, startMonth === 0);
}

/**
 * What the current period bills, in minor units: the plan's price for the interval less the
 * coupon while it covers the period (the integer the provider charges: a percentage is rounded
 * half up, an amount never takes the price below 0).
 */
export function periodCharge(
  subscription: BillingSubscription,
  plan: PlanPrice,
  coupon: CouponTermsFull | null,
): number {
  const price = subscription.interval === "year" ? plan.priceYear : plan.priceMonth;
  if (!coupon || !couponApplies(coupon, subscription, plan)) return price;
  return price - couponDiscount(price, coupon);
}

export interface PricedSubscription {
  subscription: BillingSubscription;
  plan: PlanPrice;
  coupon: CouponTermsFull | null;
}

export interface CurrencyMrr {
  mrr: number;
  /** The plan that bills the most of it (one plan per subscriber, for subscribers by plan). */
  planId: string;
}

/**
 * One user's MRR per currency from their paying subscriptions: each period's charge as an exact
 * monthly fraction (a yearly charge over 12), summed, then rounded half up once.
 */
export function userMrr(priced: PricedSubscription[]): Map<string, CurrencyMrr> {
  const twelfths = new Map<string, { sum: number; planId: string; top: number }>();
  for (const { subscription, plan, coupon } of priced) {
    // In twelfths of a minor unit: exact integers (a month's charge × 12, a year's × 1).
    const part =
      periodCharge(subscription, plan, coupon) * (12 / MONTHS_PER[subscription.interval]);
    const current = twelfths.get(plan.currency);
    if (!current) {
      twelfths.set(plan.currency, { sum: part, planId: plan.id, top: part });
    } else {
      current.sum += part;
      if (part > current.top) {
        current.top = part;
        current.planId = plan.id;
      }
    }
  }
  const result = new Map<string, CurrencyMrr>();
  for (const [currency, { sum, planId }] of twelfths) {
    result.set(currency, { mrr: mulDivRound(sum, 1, 12), planId });
  }
  return result;
}

export type MovementKind = "new" | "reactivation" | "expansion" | "contraction" | "churn" | "none";

export interface Movement {
  kind: MovementKind;
  /** Minor units, ≥ 0: the MRR added or lost. */
  amount: number;
}

/** The MRR movement from the previous snapshot's value (null: no row) to today's. */
export function classifyMovement(
  previous: { mrr: number; everPaid: boolean } | null,
  mrr: number,
): Movement {
  const before = previous?.mrr ?? 0;
  if (before === 0 && mrr > 0) {
    return { kind: previous?.everPaid ? "reactivation" : "new", amount: mrr };
  }
  if (before > 0 && mrr === 0) return { kind: "churn", amount: before };
  if (mrr > before) return { kind: "expansion", amount: mrr - before };
  if (mrr < before) return { kind: "contraction", amount: before - mrr };
  return { kind: "none", amount: 0 };
}

/** A subscriber_mrr row as the walk reads it. */
export interface StoredMrr {
  userId: string;
  currency: string;
  mrr: number;
  planId: string | null;
  everPaid: boolean;
  updatedAt: number;
}

/** One change to write: the row's new state, and the movement that goes with it. */
export interface MrrChange {
  u: string;
  c: string;
  m: number;
  p: string | null;
  e: 0 | 1;
  k: MovementKind;
  a: number;
}

/**
 * The changes for one user: per currency they pay or paid in, today's MRR against the stored
 * row. Rows already at `day` (or later) were counted by an earlier run and are left alone.
 */
export function userChanges(
  userId: string,
  today: Map<string, CurrencyMrr>,
  stored: StoredMrr[],
  day: number,
): MrrChange[] {
  const changes: MrrChange[] = [];
  const byCurrency = new Map(stored.map((row) => [row.currency, row]));
  const currencies = new Set([...today.keys(), ...byCurrency.keys()]);
  for (const currency of currencies) {
    const row = byCurrency.get(currency) ?? null;
    if (row && row.updatedAt >= day) continue;
    const now = today.get(currency);
    const mrr = now?.mrr ?? 0;
    const planId = mrr > 0 && now ? now.planId : null;
    if (!row && mrr === 0) continue;
    if (row && row.mrr === mrr && row.planId === planId) continue;
    const movement = classifyMovement(row, mrr);
    changes.push({
      u: userId,
      c: currency,
      m: mrr,
      p: planId,
      e: row?.everPaid || mrr > 0 ? 1 : 0,
      k: movement.kind,
      a: movement.amount,
    });
  }
  return changes;
}

/**
 * Adds a page's movements to the day's counters (only those whose row is still before the day,
 * checked in the transaction), then advances the rows. Order matters: the counters read the rows
 * before they move.
 */
export function writeChanges(d1: D1Database, day: number, now: number, changes: MrrChange[]) {
  const json = JSON.stringify(changes);
  const sumOf = (kind: MovementKind) => `sum(case when j.k = '${kind}' then j.a else 0 end)`;
  const increment = d1
    .prepare(
      `insert into revenue_daily (day, currency, mrr, arr, paying_subscribers, trials,
        subscribers_by_plan, new_mrr, expansion_mrr, contraction_mrr, churned_mrr,
        reactivation_mrr, new_subscribers, churned_subscribers, signups, active_users, created_at)
      select ?1, j.c, 0, 0, 0, 0, '{}', ${sumOf("new")}, ${sumOf("expansion")},
        ${sumOf("contraction")}, ${sumOf("churn")}, ${sumOf("reactivation")},
        sum(case when j.k in ('new', 'reactivation') then 1 else 0 end),
        sum(case when j.k = 'churn' then 1 else 0 end), 0, 0, ?2
      from (
        select json_extract(value, '$.u') as u, json_extract(value, '$.c') as c,
          json_extract(value, '$.k') as k, json_extract(value, '$.a') as a
        from json_each(?3)
      ) as j
      where not exists (
        select 1 from subscriber_mrr s
        where s.user_id = j.u and s.currency = j.c and s.updated_at >= ?1
      )
      group by j.c
      on conflict (day, currency) do update set
        new_mrr = revenue_daily.new_mrr + excluded.new_mrr,
        expansion_mrr = revenue_daily.expansion_mrr + excluded.expansion_mrr,
        contraction_mrr = revenue_daily.contraction_mrr + excluded.contraction_mrr,
        churned_mrr = revenue_daily.churned_mrr + excluded.churned_mrr,
        reactivation_mrr = revenue_daily.reactivation_mrr + excluded.reactivation_mrr,
        new_subscribers = revenue_daily.new_subscribers + excluded.new_subscribers,
        churned_subscribers = revenue_daily.churned_subscribers + excluded.churned_subscribers`,
    )
    .bind(day, now, json);
  const advance = d1
    .prepare(
      `insert into subscriber_mrr (user_id, currency, mrr, plan_id, ever_paid, updated_at)
      select json_extract(value, '$.u'), json_extract(value, '$.c'), json_extract(value, '$.m'),
        json_extract(value, '$.p'), json_extract(value, '$.e'), ?1
      from json_each(?2)
      where true
      on conflict (user_id, currency) do update set
        mrr = excluded.mrr, plan_id = excluded.plan_id, ever_paid = excluded.ever_paid,
        updated_at = excluded.updated_at
      where subscriber_mrr.updated_at < excluded.updated_at`,
    )
    .bind(day, json);
  return d1.batch([increment, advance]);
}

/** Walks every user once, recording the day's movements page by page. */
async function recordMovements(db: Db, d1: D1Database, day: number, now: number) {
  const planList = await db.select().from(plans);
  const planById = new Map(planList.map((plan) => [plan.id, plan]));
  let after = "";
  let pages = 0;
  let changed = 0;
  for (;;) {
    // The page's last user id: the page is the id range (after, last]; no last id means the rest.
    const last = await db
      .select({ id: users.id })
      .from(users)
      .where(gt(users.id, after))
      .orderBy(asc(users.id))
      .limit(1)
      .offset(PAGE - 1)
      .get();
    const inRange = (column: Column) =>
      last ? and(gt(column, after), lte(column, last.id)) : gt(column, after);
    const [paying, stored] = await db.batch([
      db
        .select({
          userId: subscriptions.userId,
          planId: subscriptions.planId,
          interval: subscriptions.interval,
          createdAt: subscriptions.createdAt,
          trialEnd: subscriptions.trialEnd,
          currentPeriodStart: subscriptions.currentPeriodStart,
          coupon: {
            id: coupons.id,
            percentOff: coupons.percentOff,
            amountOff: coupons.amountOff,
            currency: coupons.currency,
            duration: coupons.duration,
            durationMonths: coupons.durationMonths,
            planIds: coupons.planIds,
          },
        })
        .from(subscriptions)
        .leftJoin(coupons, eq(coupons.id, subscriptions.couponId))
        .where(
          and(inRange(subscriptions.userId), inArray(subscriptions.status, [...PAYING_STATUSES])),
        ),
      db.select().from(subscriberMrr).where(inRange(subscriberMrr.userId)),
    ]);
    pages += 1;

    const pricedByUser = new Map<string, PricedSubscription[]>();
    for (const row of paying) {
      const plan = planById.get(row.planId);
      if (!plan) continue;
      const list = pricedByUser.get(row.userId) ?? [];
      list.push({ subscription: row, plan, coupon: row.coupon?.id ? row.coupon : null });
      pricedByUser.set(row.userId, list);
    }
    const storedByUser = new Map<string, StoredMrr[]>();
    for (const row of stored) {
      const list = storedByUser.get(row.userId) ?? [];
      list.push(row);
      storedByUser.set(row.userId, list);
    }
    const changes: MrrChange[] = [];
    for (const userId of new Set([...pricedByUser.keys(), ...storedByUser.keys()])) {
      changes.push(
        ...userChanges(
          userId,
          userMrr(pricedByUser.get(userId) ?? []),
          storedByUser.get(userId) ?? [],
          day,
        ),
      );
    }
    if (changes.length > 0) {
      await writeChanges(d1, day, now, changes);
      changed += changes.length;
    }
    if (!last) break;
    after = last.id;
  }
  return { pages, changed };
}

export interface DayLevels {
  mrr: number;
  payingSubscribers: number;
  trials: number;
  subscribersByPlan: Record<string, number>;
}

/** Writes each currency's levels for the day; movement counters are left as recorded. */
async function writeLevels(db: Db, day: number, now: number) {
  const [mrrRows, byPlanRows, trialRows, planRows, signupRow, active] = await db.batch([
    db
      .select({
        currency: subscriberMrr.currency,
        mrr: sql<number>`coalesce(sum(${subscriberMrr.mrr}), 0)`,
        paying: sql<number>`coalesce(sum(${subscriberMrr.mrr} > 0), 0)`,
      })
      .from(subscriberMrr)
      .groupBy(subscriberMrr.currency),
    db
      .select({ currency: subscriberMrr.currency, code: plans.code, n: count() })
      .from(subscriberMrr)
      .innerJoin(plans, eq(plans.id, subscriberMrr.planId))
      .where(gt(subscriberMrr.mrr, 0))
      .groupBy(subscriberMrr.currency, plans.code),
    db
      .select({
        currency: plans.currency,
        n: sql<number>`count(distinct ${subscriptions.userId})`,
      })
      .from(subscriptions)
      .innerJoin(plans, eq(plans.id, subscriptions.planId))
      .where(eq(subscriptions.status, "trialing"))
      .groupBy(plans.currency),
    db.selectDistinct({ currency: plans.currency }).from(plans),
    db
      .select({ n: count() })
      .from(users)
      .where(and(gte(users.createdAt, day), lt(users.createdAt, day + DAY))),
    db
      .select({ n: usageDailyTotals.activeSubjects })
      .from(usageDailyTotals)
      .where(eq(usageDailyTotals.day, day)),
  ]);
  const levels = new Map<string, DayLevels>();
  const levelsOf = (currency: string) => {
    let entry = levels.get(currency);
    if (!entry) {
      entry = { mrr: 0, payingSubscribers: 0, trials: 0, subscribersByPlan: {} };
      levels.set(currency, entry);
    }
    return entry;
  };
  for (const { currency } of planRows) levelsOf(currency);
  for (const row of mrrRows) {
    const entry = levelsOf(row.currency);
    entry.mrr = Number(row.mrr);
    entry.payingSubscribers = Number(row.paying);
  }
  for (const row of byPlanRows) levelsOf(row.currency).subscribersByPlan[row.code] = row.n;
  for (const row of trialRows) levelsOf(row.currency).trials = Number(row.n);
  const signups = signupRow[0]?.n ?? 0;
  const activeUsers = active[0]?.n ?? 0;

  const statements = [...levels].map(([currency, entry]) => {
    const values = {
      mrr: entry.mrr,
      arr: entry.mrr * 12,
      payingSubscribers: entry.payingSubscribers,
      trials: entry.trials,
      subscribersByPlan: entry.subscribersByPlan,
      signups,
      activeUsers,
      createdAt: now,
    };
    return db
      .insert(revenueDaily)
      .values({
        day,
        currency,
        ...values,
        newMrr: 0,
        expansionMrr: 0,
        contractionMrr: 0,
        churnedMrr: 0,
        reactivationMrr: 0,
        newSubscribers: 0,
        churnedSubscribers: 0,
      })
      .onConflictDoUpdate({ target: [revenueDaily.day, revenueDaily.currency], set: values });
  });
  const [first, ...rest] = statements;
  if (first) await db.batch([first, ...rest]);
  return { currencies: levels.size, signups, activeUsers };
}

/**
 * The daily revenue snapshot (cron "20 0 * * *"): snapshots the UTC day before `now`.
 * Counts: `day` (its UTC midnight, ms), `pages`, `changed` (subscriber rows moved on),
 * `currencies` written, or `skipped_older_day` when a newer day has been snapshotted already.
 */
export const revenueSnapshotJob: Job = async ({ db, env, now }): Promise<JobCounts> => {
  const day = snapshotDay(now);
  const newest = await db
    .select({ day: max(revenueDaily.day) })
    .from(revenueDaily)
    .get();
  if (newest?.day !== null && newest?.day !== undefined && newest.day > day) {
    return { day, skipped_older_day: 1 };
  }
  const { pages, changed } = await recordMovements(db, env.DB, day, now);
  const { currencies, signups, activeUsers } = await writeLevels(db, day, now);
  return { day, pages, changed, currencies, signups, active_users: activeUsers };
};
