// Revenue metrics from daily snapshots. Pure — no clock, no I/O. Money stays in integer minor
// units and is rounded half up once; rates are decimals rounded half up to 4 places.
import type { revenueDaily } from "../db/schema";
import { DAY, isoDate, isoMonth } from "../lib/time";

export type RevenueDay = typeof revenueDaily.$inferSelect;

/** An exact fraction. */
export interface Rational {
  numerator: number;
  denominator: number;
}

/** round(Π numerators / Π denominators), half up, exactly; null when a denominator is 0. */
export function roundRatio(numerators: number[], denominators: number[]): number | null {
  const num = numerators.reduce((acc, n) => acc * BigInt(n), 1n);
  const den = denominators.reduce((acc, d) => acc * BigInt(d), 1n);
  if (den === 0n) return null;
  const negative = num < 0n !== den < 0n;
  const a = num < 0n ? -num : num;
  const b = den < 0n ? -den : den;
  const rounded = (a * 2n + b) / (b * 2n);
  return Number(negative ? -rounded : rounded);
}

/** numerator ÷ denominator as a decimal rounded half up to 4 places; null when dividing by 0. */
export function rate(numerator: number, denominator: number): number | null {
  const tenThousandths = roundRatio([numerator, 10_000], [denominator]);
  return tenThousandths === null ? null : tenThousandths / 10_000;
}

export interface Movements {
  new_mrr: number;
  expansion_mrr: number;
  contraction_mrr: number;
  churned_mrr: number;
  reactivation_mrr: number;
  /** new + expansion + reactivation − contraction − churned. */
  net_new_mrr: number;
  /** Subscribers who started paying (first time or returning). */
  new_subscribers: number;
  churned_subscribers: number;
}

export function movementsOf(row: RevenueDay): Movements {
  return {
    new_mrr: row.newMrr,
    expansion_mrr: row.expansionMrr,
    contraction_mrr: row.contractionMrr,
    churned_mrr: row.churnedMrr,
    reactivation_mrr: row.reactivationMrr,
    net_new_mrr:
      row.newMrr + row.expansionMrr + row.reactivationMrr - row.contractionMrr - row.churnedMrr,
    new_subscribers: row.newSubscribers,
    churned_subscribers: row.churnedSubscribers,
  };
}

export function sumMovements(rows: RevenueDay[]): Movements {
  const total: Movements = {
    new_mrr: 0,
    expansion_mrr: 0,
    contraction_mrr: 0,
    churned_mrr: 0,
    reactivation_mrr: 0,
    net_new_mrr: 0,
    new_subscribers: 0,
    churned_subscribers: 0,
  };
  for (const row of rows) {
    const m = movementsOf(row);
    for (const key of Object.keys(total) as (keyof Movements)[]) total[key] += m[key];
  }
  return total;
}

/**
 * MRR and paying subscribers just before a snapshot's movements: the previous snapshot's levels,
 * recovered exactly from the row itself (each day's movements are measured against the previous
 * snapshot), so a range needs no row from before it.
 */
export function levelsBefore(row: RevenueDay): { mrr: number; paying: number } {
  const m = movementsOf(row);
  return {
    mrr: row.mrr - m.net_new_mrr,
    paying: row.payingSubscribers - m.new_subscribers + m.churned_subscribers,
  };
}

/** Logo churn: subscribers lost ÷ paying subscribers at the start. */
export function logoChurn(churnedSubscribers: number, payingAtStart: number): number | null {
  return rate(churnedSubscribers, payingAtStart);
}

/** Gross revenue churn: (churned + contraction MRR) ÷ MRR at the start. */
export function revenueChurn(
  churnedMrr: number,
  contractionMrr: number,
  mrrAtStart: number,
): number | null {
  return rate(churnedMrr + contractionMrr, mrrAtStart);
}

/** Average revenue per paying subscriber, minor units; null without paying subscribers. */
export function arpu(mrr: number, payingSubscribers: number): number | null {
  return roundRatio([mrr], [payingSubscribers]);
}

/**
 * Months in a range of whole UTC days [from, to]: whole calendar months when it runs from a
 * month's first day to a month's last day, else days ÷ 30.
 */
export function rangeMonths(from: number, to: number): Rational {
  const start = new Date(from);
  const endNext = new Date(to + DAY);
  if (start.getUTCDate() === 1 && endNext.getUTCDate() === 1) {
    const months =
      (endNext.getUTCFullYear() - start.getUTCFullYear()) * 12 +
      (endNext.getUTCMonth() - start.getUTCMonth());
    if (months > 0) return { numerator: months, denominator: 1 };
  }
  return { numerator: Math.round((to - from) / DAY) + 1, denominator: 30 };
}

/**
 * Lifetime value estimate: ARPU ÷ monthly gross revenue churn, where the monthly churn is the
 * range's lost MRR ÷ MRR at the start, spread over the range's months. Computed exactly and
 * rounded once: mrr × mrrAtStart × months / (paying × lost). Null when nothing was lost (churn 0),
 * or there is no start MRR or no paying subscriber.
 */
export function ltv(input: {
  mrr: number;
  payingSubscribers: number;
  mrrAtStart: number;
  lostMrr: number;
  months: Rational;
}): number | null {
  const { mrr, payingSubscribers, mrrAtStart, lostMrr, months } = input;
  if (lostMrr <= 0 || mrrAtStart <= 0 || payingSubscribers <= 0) return null;
  return roundRatio(
    [mrr, mrrAtStart, months.numerator],
    [payingSubscribers, lostMrr, months.denominator],
  );
}

export interface CurrencySummary {
  /** The snapshot day the levels are from: `to`, or the last day before it with a snapshot. */
  as_of: string;
  mrr: number;
  arr: number;
  paying_subscribers: number;
  trials: number;
  subscribers_by_plan: Record<string, number>;
  mrr_at_start: number;
  paying_subscribers_at_start: number;
  movements: Movements;
  logo_churn: number | null;
  revenue_churn: number | null;
  monthly_revenue_churn: number | null;
  arpu: number | null;
  ltv: number | null;
  signups: number;
  /** Active users on `as_of`. */
  active_users: number;
  /** Mean daily active users over the snapshots in the range, rounded half up. */
  avg_active_users: number;
}

function byCurrency(rows: RevenueDay[]): Map<string, RevenueDay[]> {
  const groups = new Map<string, RevenueDay[]>();
  for (const row of [...rows].sort((a, b) => a.day - b.day)) {
    const list = groups.get(row.currency) ?? [];
    list.push(row);
    groups.set(row.currency, list);
  }
  return groups;
}

/** Per currency: levels at the range's end, movements summed over it, churn, ARPU and LTV. */
export function summarize(
  rows: RevenueDay[],
  from: number,
  to: number,
): Record<string, CurrencySummary> {
  const result: Record<string, CurrencySummary> = {};
  for (const [currency, list] of byCurrency(rows)) {
    const inRange = list.filter((row) => row.day >= from && row.day <= to);
    const first = inRange[0];
    const last = inRange.at(-1);
    if (!first || !last) continue;
    const start = levelsBefore(first);
    const movements = sumMovements(inRange);
    const lost = movements.churned_mrr + movements.contraction_mrr;
    const months = rangeMonths(from, to);
    result[currency] = {
      as_of: isoDate(last.day),
      mrr: last.mrr,
      arr: last.arr,
      paying_subscribers: last.payingSubscribers,
      trials: last.trials,
      subscribers_by_plan: last.subscribersByPlan,
      mrr_at_start: start.mrr,
      paying_subscribers_at_start: start.paying,
      movements,
      logo_churn: logoChurn(movements.churned_subscribers, start.paying),
      revenue_churn: revenueChurn(movements.churned_mrr, movements.contraction_mrr, start.mrr),
      monthly_revenue_churn:
        start.mrr > 0 ? rate(lost * months.denominator, start.mrr * months.numerator) : null,
      arpu: arpu(last.mrr, last.payingSubscribers),
      ltv: ltv({
        mrr: last.mrr,
        payingSubscribers: last.payingSubscribers,
        mrrAtStart: start.mrr,
        lostMrr: lost,
        months,
      }),
      signups: inRange.reduce((n, row) => n + row.signups, 0),
      active_users: last.activeUsers,
      avg_active_users:
        roundRatio([inRange.reduce((n, row) => n + row.activeUsers, 0)], [inRange.length]) ?? 0,
    };
  }
  return result;
}

export interface SeriesPoint extends Movements {
  /** YYYY-MM-DD for days, YYYY-MM for months. */
  date: string;
  mrr: number;
  arr: number;
  paying_subscribers: number;
  trials: number;
  subscribers_by_plan: Record<string, number>;
}

/**
 * The MRR series per currency. `day`: one point per snapshot. `month`: one point per month with
 * a snapshot, its levels from the month's last snapshot and its movements summed.
 */
export function mrrSeries(
  rows: RevenueDay[],
  interval: "day" | "month",
): Record<string, SeriesPoint[]> {
  const result: Record<string, SeriesPoint[]> = {};
  for (const [currency, list] of byCurrency(rows)) {
    const buckets = new Map<string, RevenueDay[]>();
    for (const row of list) {
      const key = interval === "day" ? isoDate(row.day) : isoMonth(row.day);
      const bucket = buckets.get(key) ?? [];
      bucket.push(row);
      buckets.set(key, bucket);
    }
    result[currency] = [...buckets].flatMap(([date, bucket]) => {
      const last = bucket.at(-1);
      if (!last) return [];
      return [
        {
          date,
          mrr: last.mrr,
          arr: last.arr,
          paying_subscribers: last.payingSubscribers,
          trials: last.trials,
          subscribers_by_plan: last.subscribersByPlan,
          ...sumMovements(bucket),
        },
      ];
    });
  }
  return result;
}
