// Whether a user may apply a coupon to a plan: the rules a coupon must pass, checked in order,
// and the first invoice it gives. Checkout and POST /v1/coupons/validate apply the same rules.
import { eq } from "drizzle-orm";
import type { Db } from "../db";
import { type Coupon, coupons, type Interval, plans } from "../db/schema";
import { type Message, msg } from "../i18n";
import { ApiError, notFound } from "../lib/errors";
import { iso } from "../lib/time";
import { normalizeCode } from "./codes";
import { couponDiscount } from "./discount";
import { hasRedeemed } from "./redemptions";

export const COUPON_RULES = [
  "not_found",
  "inactive",
  "expired",
  "max_redemptions",
  "already_redeemed",
  "plan_not_eligible",
  "currency_mismatch",
] as const;
export type CouponRule = (typeof COUPON_RULES)[number];

/** The coupon breaks `rule`; the detail is the rule's message, with the coupon's code. */
function notApplicable(rule: CouponRule, params: Message["params"]): ApiError {
  return new ApiError(
    "coupon_not_applicable",
    msg(`problems.coupon_not_applicable.${rule}`, params),
    {
      extensions: { rule },
    },
  );
}

export interface CouponBreakdown {
  plan_id: string;
  interval: Interval;
  currency: string;
  /** The plan's price for the interval, minor units. */
  price: number;
  /** What the coupon takes off the first invoice. */
  discount: number;
  total: number;
  duration: Coupon["duration"];
  duration_months: number | null;
}

/**
 * Whether `code` can be applied by this user to this plan and interval now. Throws
 * coupon_not_applicable with `rule` naming the first rule it breaks; 404 for an unknown plan and
 * plan_not_available for an archived one. The answer prices the first invoice.
 */
export async function validateCoupon(
  db: Db,
  input: { code: string; planId: string; interval: Interval; userId: string; now: number },
): Promise<{ coupon: Coupon; breakdown: CouponBreakdown }> {
  const code = normalizeCode(input.code);
  const [coupon, plan] = await Promise.all([
    db.query.coupons.findFirst({ where: eq(coupons.code, code) }),
    db.query.plans.findFirst({ where: eq(plans.id, input.planId) }),
  ]);
  if (!coupon) throw notApplicable("not_found", { code });
  if (!coupon.active) throw notApplicable("inactive", { code });
  if (coupon.expiresAt !== null && coupon.expiresAt <= input.now) {
    throw notApplicable("expired", { code, date: iso(coupon.expiresAt) });
  }
  if (coupon.maxRedemptions !== null && coupon.timesRedeemed >= coupon.maxRedemptions) {
    throw notApplicable("max_redemptions", { code });
  }
  if (!plan) throw notFound("Plan");
  if (plan.status !== "active") {
    throw new ApiError(
      "plan_not_available",
      msg("problems.plan_not_available.no_longer_offered", { plan: plan.name }),
    );
  }
  if (coupon.planIds && !coupon.planIds.includes(plan.id)) {
    throw notApplicable("plan_not_eligible", { code, plan: plan.name });
  }
  const currency = plan.currency.toLowerCase();
  if (coupon.amountOff !== null && coupon.currency?.toLowerCase() !== currency) {
    throw notApplicable("currency_mismatch", {
      code,
      plan: plan.name,
      coupon_currency: coupon.currency?.toUpperCase() ?? "",
      plan_currency: currency.toUpperCase(),
    });
  }
  if (await hasRedeemed(db, coupon.id, input.userId)) {
    throw notApplicable("already_redeemed", { code });
  }

  const price = input.interval === "month" ? plan.priceMonth : plan.priceYear;
  const discount = couponDiscount(price, coupon);
  return {
    coupon,
    breakdown: {
      plan_id: plan.id,
      interval: input.interval,
      currency,
      price,
      discount,
      total: price - discount,
      duration: coupon.duration,
      duration_months: coupon.durationMonths,
    },
  };
}
