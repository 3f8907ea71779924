// What a subscriber pays per month, from their paying subscriptions, their plans and coupons.
// Pure — no clock, no I/O: the snapshot job feeds it rows, tests feed it hand-made ones.
import { couponCovers, couponDiscount } from "../coupons/discount";
import type { Coupon, Interval, Plan } from "../db/schema";
import { MONTHS_PER, mulDivRound } from "../lib/money";
import { DAY } from "../lib/time";
import { addMonths } from "../lib/windows";

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
