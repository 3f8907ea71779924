// The snapshot's walk over every user: today's MRR of each, against their `subscriber_mrr` row,
// and the movements that differ written in the same transaction that moves the row on to the day
// (see snapshot.ts for why that counts each movement exactly once).
//
// Bounded: users are walked in id order, PAGE at a time; each page costs one look-up of the
// page's last id, one read batch (the page's paying subscriptions with their coupons, and its
// `subscriber_mrr` rows — both id-range scans on indexes) and at most one write batch of two
// statements (rows travel as one JSON parameter, so no statement nears D1's 100 bound
// parameters). Three D1 round trips per 1,000 users, linear in users, never a scan of history.
import { and, asc, type Column, eq, gt, inArray, lte } from "drizzle-orm";
import type { Db } from "../db";
import { coupons, plans, subscriberMrr, subscriptions, users } from "../db/schema";
import { type MovementKind, type MrrChange, type StoredMrr, userChanges } from "./movements";
import { type PricedSubscription, userMrr } from "./mrr";

/** Users per page of the walk. */
export const PAGE = 1000;

/** Statuses that bill: a trial is entitled but pays nothing yet, so it is no MRR. */
export const PAYING_STATUSES = ["active", "past_due"] as const;

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
export async function recordMovements(db: Db, d1: D1Database, day: number, now: number) {
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
