// What an admin sends to create or change a coupon, and the checks of it beyond its terms
// (terms.ts): the plans it names and its expiry. Checks return field errors rather than throw,
// so one 400 lists every problem at once.
import { inArray } from "drizzle-orm";
import type { Db } from "../db";
import { type Coupon, plans } from "../db/schema";
import { msg } from "../i18n";
import { ApiError, type FieldError } from "../lib/errors";
import type { CouponTermsInput } from "./terms";

export interface CreateCouponInput extends CouponTermsInput {
  code: string;
  name?: string | null | undefined;
  duration: Coupon["duration"];
  expires_at?: string | null | undefined;
  max_redemptions?: number | null | undefined;
  plan_ids?: string[] | null | undefined;
  active?: boolean | undefined;
}

export interface UpdateCouponInput extends CouponTermsInput {
  name?: string | null | undefined;
  expires_at?: string | null | undefined;
  max_redemptions?: number | null | undefined;
  plan_ids?: string[] | null | undefined;
  active?: boolean | undefined;
}

/** Every named plan must exist: a coupon for a plan id nobody can buy would never apply. */
export async function planIdErrors(
  db: Db,
  planIds: string[] | null | undefined,
): Promise<FieldError[]> {
  if (!planIds || planIds.length === 0) return [];
  const found = await db
    .select({ id: plans.id })
    .from(plans)
    .where(inArray(plans.id, [...new Set(planIds)]));
  const known = new Set(found.map((p) => p.id));
  return planIds.flatMap((id, i) =>
    known.has(id) ? [] : [{ path: `plan_ids.${i}`, message: msg("validation.no_plan", { id }) }],
  );
}

/** The stored plan list: each id once; an empty list means every plan, stored as null. */
export function storedPlanIds(planIds: string[] | null | undefined): string[] | null {
  return planIds && planIds.length > 0 ? [...new Set(planIds)] : null;
}

export function parseTime(value: string | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  return Date.parse(value);
}

/** An expiry, when one is set, must be ahead: a coupon born expired is a mistake. */
export function expiryErrors(expiresAt: number | null | undefined, now: number): FieldError[] {
  if (expiresAt === undefined || expiresAt === null || expiresAt > now) return [];
  return [{ path: "expires_at", message: msg("validation.in_future") }];
}

export function invalidCoupon(errors: FieldError[]): ApiError {
  return new ApiError("invalid_request", msg("problems.invalid_request.coupon"), { errors });
}
