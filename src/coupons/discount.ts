// What a coupon takes off a price, and which billing periods it covers. Pure.
import type { Coupon, Interval } from "../db/schema";
import { MONTHS_PER, mulDivRound } from "../lib/money";

/** The parts of a coupon that set its discount. */
export type CouponTerms = Pick<Coupon, "percentOff" | "amountOff" | "duration" | "durationMonths">;

/**
 * Whether a coupon discounts a billing period that starts `startMonth` whole months after the
 * coupon's first period. `once`: the first period only. `forever`: every period. `repeating N`:
 * every period that *starts* within the first N months — so a yearly period is discounted
 * whole when it starts inside the N months (a yearly plan with any N ≥ 1 gets its first year
 * discounted; its second year only when N > 12). This is the rule Stripe applies to invoices.
 */
export function couponCovers(
  coupon: CouponTerms,
  startMonth: number,
  first = startMonth === 0,
): boolean {
  switch (coupon.duration) {
    case "once":
      return first;
    case "forever":
      return true;
    case "repeating":
      return startMonth < (coupon.durationMonths ?? 0);
  }
}

/** What a coupon takes off one price: percent rounded half up, an amount never beyond the price. */
export function couponDiscount(price: number, coupon: CouponTerms): number {
  if (price <= 0) return 0;
  if (coupon.percentOff !== null && coupon.percentOff !== undefined) {
    return Math.min(price, mulDivRound(price, coupon.percentOff, 100));
  }
  if (coupon.amountOff !== null && coupon.amountOff !== undefined) {
    return Math.min(price, Math.max(0, coupon.amountOff));
  }
  return 0;
}

/**
 * The price of billing cycle `cycleIndex` (0: the first) of a plan billed every `interval`,
 * after the coupon — never below 0. Cycle k of a yearly plan starts in month 12·k.
 */
export function discountedPrice(
  price: number,
  coupon: CouponTerms | null | undefined,
  cycleIndex: number,
  interval: Interval = "month",
): number {
  if (!coupon || !couponCovers(coupon, cycleIndex * MONTHS_PER[interval], cycleIndex === 0)) {
    return price;
  }
  return price - couponDiscount(price, coupon);
}
