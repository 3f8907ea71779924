// The day's levels per currency in `revenue_daily`: MRR, ARR and paying subscribers (summed from
// `subscriber_mrr`, so they agree with the recorded movements), subscribers by plan, trials,
// signups and active users. A re-run for the same day writes the same values again.
import { and, count, eq, gt, gte, lt, sql } from "drizzle-orm";
import type { Db } from "../db";
import { runBatch } from "../db";
import {
  plans,
  revenueDaily,
  subscriberMrr,
  subscriptions,
  usageDailyTotals,
  users,
} from "../db/schema";
import { DAY } from "../lib/time";

export interface DayLevels {
  mrr: number;
  payingSubscribers: number;
  trials: number;
  subscribersByPlan: Record<string, number>;
}

/** Writes each currency's levels for the day; movement counters are left as recorded. */
export async function writeLevels(db: Db, day: number, now: number) {
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
  await runBatch(db, statements);
  return { currencies: levels.size, signups, activeUsers };
}
