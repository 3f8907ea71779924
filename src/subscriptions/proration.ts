// Proration: what a plan change costs. Pure — no clock, no I/O; amounts are integer minor units
// of the plan's currency, and every amount is computed exactly and rounded once (half up).

import {
  type CouponTerms,
  couponCovers,
  couponDiscount,
  discountedPrice,
} from "../coupons/discount";
import type { Interval } from "../db/schema";
import { compareRational, MONTHS_PER, monthlyEquivalent, mulDivRound } from "../lib/money";
import { addMonths } from "../lib/windows";

export type Direction = "upgrade" | "downgrade" | "same";

export interface ChangeInput {
  current: {
    /** The plan's list price for `interval`, before any coupon. */
    price: number;
    interval: Interval;
    periodStart: number;
    periodEnd: number;
    coupon?: CouponTerms | null | undefined;
    /** Which billing cycle the current period is (0: the first); sets whether the coupon applied. */
    cycleIndex?: number | undefined;
  };
  next: {
    price: number;
    interval: Interval;
    /**
     * The coupon on the new plan. Omitted: the subscription keeps its coupon (`current.coupon`);
     * null: the new plan gets none (pass null when the coupon is not valid for the new plan).
     */
    coupon?: CouponTerms | null | undefined;
  };
  now: number;
  /**
   * "now" (default): prorate from `now`. "period_end": the change waits for the current period
   * to end — nothing is credited or charged now, and the next invoice is the new plan's price.
   */
  effective?: "now" | "period_end" | undefined;
}

export interface ChangePreview {
  direction: Direction;
  /** What the unused rest of the current period is worth, at what was paid for it. */
  credit: number;
  /** The new plan for the rest of the period, or for a whole new period when the interval changes. */
  charge: number;
  amount_due_now: number;
  /** Credit left over after the charge; it reduces the next invoice(s). */
  carried_credit: number;
  /** The first regular invoice after the change, less the carried credit; `at` is epoch ms. */
  next_invoice: { amount: number; at: number };
  /** When the period after the change ends: the current period's end, or a new period's end
   *  when the interval changes now. */
  period_end: number;
}

/**
 * The cost of moving from one plan/interval to another at `now`.
 *
 * - credit = round(paid × unused / length), where paid is the current period's price after the
 *   coupon and unused/length are integer milliseconds (`now` is clamped into the period).
 * - same interval: the period is kept; charge = round(new price × unused / length).
 * - interval change: a new period starts now; charge = the whole new period's price. The new
 *   period is never the coupon's first, and is covered by a repeating coupon when the whole
 *   months elapsed since the coupon's first period are fewer than its duration.
 * - amount_due_now = max(0, charge − credit); carried_credit = max(0, credit − charge).
 * - direction compares monthly equivalents exactly (a yearly price over 12).
 */
export function previewChange(input: ChangeInput): ChangePreview {
  const { current, next } = input;
  const cycle = current.cycleIndex ?? 0;
  const nextCoupon = next.coupon === undefined ? current.coupon : next.coupon;
  const length = Math.max(0, current.periodEnd - current.periodStart);
  const now = Math.min(Math.max(input.now, current.periodStart), current.periodEnd);
  const unused = current.periodEnd - now;

  const cmp = compareRational(
    monthlyEquivalent(next.price, next.interval),
    monthlyEquivalent(current.price, current.interval),
  );
  const direction: Direction = cmp > 0 ? "upgrade" : cmp < 0 ? "downgrade" : "same";

  if (input.effective === "period_end") {
    // The new plan's first period is the subscription's next cycle, starting at the period end.
    const startMonth = (cycle + 1) * MONTHS_PER[current.interval];
    return {
      direction,
      credit: 0,
      charge: 0,
      amount_due_now: 0,
      carried_credit: 0,
      next_invoice: {
        amount: priceFrom(next.price, nextCoupon, startMonth, false),
        at: current.periodEnd,
      },
      period_end: current.periodEnd,
    };
  }

  const paid = discountedPrice(current.price, current.coupon, cycle, current.interval);
  const credit = length === 0 ? 0 : mulDivRound(paid, unused, length);

  let charge: number;
  let nextInvoice: { amount: number; at: number };
  let periodEnd: number;
  if (next.interval === current.interval) {
    const price = discountedPrice(next.price, nextCoupon, cycle, next.interval);
    charge = length === 0 ? 0 : mulDivRound(price, unused, length);
    periodEnd = current.periodEnd;
    nextInvoice = {
      amount: discountedPrice(next.price, nextCoupon, cycle + 1, next.interval),
      at: current.periodEnd,
    };
  } else {
    const months = MONTHS_PER[current.interval];
    const elapsedMonths =
      length === 0 ? months : Math.floor(((now - current.periodStart) * months) / length);
    const startMonth = cycle * months + elapsedMonths;
    const price = priceFrom(next.price, nextCoupon, startMonth, false);
    charge = price;
    periodEnd = addMonths(input.now, MONTHS_PER[next.interval]);
    nextInvoice = {
      amount: priceFrom(next.price, nextCoupon, startMonth + MONTHS_PER[next.interval], false),
      at: periodEnd,
    };
  }

  const carried = Math.max(0, credit - charge);
  return {
    direction,
    credit,
    charge,
    amount_due_now: Math.max(0, charge - credit),
    carried_credit: carried,
    next_invoice: { amount: Math.max(0, nextInvoice.amount - carried), at: nextInvoice.at },
    period_end: periodEnd,
  };
}

function priceFrom(
  price: number,
  coupon: CouponTerms | null | undefined,
  startMonth: number,
  first: boolean,
): number {
  if (!coupon || !couponCovers(coupon, startMonth, first)) return price;
  return price - couponDiscount(price, coupon);
}
