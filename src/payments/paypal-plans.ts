// Our plans as PayPal plans: which PayPal plan an interval is sold through, and the billing cycles
// that give a coupon's discount (PayPal has no coupons of its own).
import { couponDiscount } from "../coupons/discount";
import type { Coupon, Interval, Plan } from "../db/schema";
import { msg } from "../i18n";
import { ApiError } from "../lib/errors";
import { toPayPalValue } from "./paypal-money";
import type { PayPalMoney } from "./paypal-subscriptions";

export function paypalPlanId(plan: Plan, interval: Interval): string | null {
  return interval === "month" ? plan.paypalPlanMonth : plan.paypalPlanYear;
}

export function priceOf(plan: Plan, interval: Interval): number {
  return interval === "month" ? plan.priceMonth : plan.priceYear;
}

export function requirePlanId(plan: Plan, interval: Interval): string {
  const id = paypalPlanId(plan, interval);
  if (!id) {
    throw new ApiError(
      "plan_not_available",
      `${plan.name} cannot be bought ${interval}ly through PayPal`,
    );
  }
  return id;
}

/** The price after the coupon, in minor units (the discount is the one proration uses). */
export function discountedPrice(price: number, currency: string, coupon: Coupon): number {
  if (
    coupon.amountOff != null &&
    coupon.currency &&
    coupon.currency.toLowerCase() !== currency.toLowerCase()
  ) {
    throw new ApiError(
      "coupon_not_applicable",
      `This coupon is in ${coupon.currency.toUpperCase()}, the plan in ${currency.toUpperCase()}`,
    );
  }
  return price - couponDiscount(price, coupon);
}

export interface BillingCycleOverride {
  sequence: number;
  tenure_type: "TRIAL" | "REGULAR";
  frequency: { interval_unit: "MONTH" | "YEAR"; interval_count: 1 };
  /** 0: until canceled. */
  total_cycles: number;
  pricing_scheme: { fixed_price: PayPalMoney };
}

/**
 * The `plan.billing_cycles` override that gives a coupon's discount: "once" → one TRIAL cycle at
 * the discounted price, then the regular price; "repeating" N months → N monthly (or ⌈N/12⌉
 * yearly: the periods that start within the N months, as proration counts them) TRIAL cycles
 * at the discounted price; "forever" → the regular cycle at the discounted
 * price. Null when the coupon changes nothing.
 */
export function couponBillingCycles(
  price: number,
  currency: string,
  interval: Interval,
  coupon: Coupon,
): BillingCycleOverride[] | null {
  const discounted = discountedPrice(price, currency, coupon);
  if (discounted === price) return null;
  const currencyCode = currency.toUpperCase();
  const frequency = {
    interval_unit: interval === "month" ? "MONTH" : "YEAR",
    interval_count: 1,
  } as const;
  const priced = (amount: number) => ({
    fixed_price: { currency_code: currencyCode, value: toPayPalValue(amount, currency) },
  });
  const regular = (sequence: number, amount: number): BillingCycleOverride => ({
    sequence,
    tenure_type: "REGULAR",
    frequency,
    total_cycles: 0,
    pricing_scheme: priced(amount),
  });
  if (coupon.duration === "forever") return [regular(1, discounted)];
  let cycles = 1;
  if (coupon.duration === "repeating") {
    const months = coupon.durationMonths ?? 0;
    if (!Number.isInteger(months) || months < 1) {
      throw new ApiError(
        "coupon_not_applicable",
        msg("problems.coupon_not_applicable.no_duration"),
      );
    }
    cycles = interval === "month" ? months : Math.ceil(months / 12);
  }
  return [
    {
      sequence: 1,
      tenure_type: "TRIAL",
      frequency,
      total_cycles: cycles,
      pricing_scheme: priced(discounted),
    },
    regular(2, price),
  ];
}
