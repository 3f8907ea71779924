import { and, eq, inArray } from "drizzle-orm";
import { auditInsert } from "../audit/audit";
import { type Db, isUniqueViolation } from "../db";
import {
  type Coupon,
  couponRedemptions,
  coupons,
  type Interval,
  plans,
  subscriptions,
} from "../db/schema";
import { ApiError, type FieldError, notFound } from "../lib/errors";
import { newId } from "../lib/ids";
import { keysetPage } from "../lib/pagination";
import { iso } from "../lib/time";
import { couponDiscount } from "./discount";

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

export const COUPON_CODE = /^[A-Z0-9_-]{3,40}$/;

function notApplicable(rule: CouponRule, detail: string): ApiError {
  return new ApiError("coupon_not_applicable", detail, { extensions: { rule } });
}

/** Codes are what users type: compared case-insensitively, stored upper-case. */
export function normalizeCode(code: string): string {
  return code.trim().toUpperCase();
}

export function couponView(coupon: Coupon) {
  return {
    id: coupon.id,
    code: coupon.code,
    name: coupon.name,
    percent_off: coupon.percentOff,
    amount_off: coupon.amountOff,
    currency: coupon.currency,
    duration: coupon.duration,
    duration_months: coupon.durationMonths,
    expires_at: iso(coupon.expiresAt),
    max_redemptions: coupon.maxRedemptions,
    times_redeemed: coupon.timesRedeemed,
    plan_ids: coupon.planIds,
    active: coupon.active,
    created_at: iso(coupon.createdAt),
    updated_at: iso(coupon.updatedAt),
  };
}

// ---- applying a coupon ----------------------------------------------------------------------

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
  if (!coupon) throw notApplicable("not_found", `There is no coupon ${code}`);
  if (!coupon.active) throw notApplicable("inactive", `The coupon ${code} is no longer offered`);
  if (coupon.expiresAt !== null && coupon.expiresAt <= input.now) {
    throw notApplicable("expired", `The coupon ${code} expired on ${iso(coupon.expiresAt)}`);
  }
  if (coupon.maxRedemptions !== null && coupon.timesRedeemed >= coupon.maxRedemptions) {
    throw notApplicable("max_redemptions", `The coupon ${code} has been used up`);
  }
  if (!plan) throw notFound("Plan");
  if (plan.status !== "active") {
    throw new ApiError("plan_not_available", `${plan.name} is no longer offered`);
  }
  if (coupon.planIds && !coupon.planIds.includes(plan.id)) {
    throw notApplicable("plan_not_eligible", `The coupon ${code} does not apply to ${plan.name}`);
  }
  const currency = plan.currency.toLowerCase();
  if (coupon.amountOff !== null && coupon.currency?.toLowerCase() !== currency) {
    throw notApplicable(
      "currency_mismatch",
      `The coupon ${code} is in ${coupon.currency?.toUpperCase()}; ${plan.name} is billed in ${currency.toUpperCase()}`,
    );
  }
  const redeemed = await db
    .select({ id: couponRedemptions.id })
    .from(couponRedemptions)
    .where(
      and(eq(couponRedemptions.couponId, coupon.id), eq(couponRedemptions.userId, input.userId)),
    )
    .get();
  if (redeemed) throw notApplicable("already_redeemed", `You have already used the coupon ${code}`);

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

// ---- admin ----------------------------------------------------------------------------------

export interface CouponTermsInput {
  percent_off?: number | null | undefined;
  amount_off?: number | null | undefined;
  currency?: string | null | undefined;
  duration?: Coupon["duration"] | undefined;
  duration_months?: number | null | undefined;
}

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

type Terms = Pick<Coupon, "percentOff" | "amountOff" | "currency" | "duration" | "durationMonths">;

/** The rules between fields: exactly one kind of discount; months only for `repeating`. */
function termsErrors(terms: Terms): FieldError[] {
  const errors: FieldError[] = [];
  const percent = terms.percentOff !== null;
  const amount = terms.amountOff !== null;
  if (percent === amount) {
    errors.push({ path: "percent_off", message: "send exactly one of percent_off and amount_off" });
  }
  if (percent && (terms.percentOff ?? 0) < 1) {
    errors.push({ path: "percent_off", message: "must be 1 to 100" });
  }
  if (percent && (terms.percentOff ?? 0) > 100) {
    errors.push({ path: "percent_off", message: "must be 1 to 100" });
  }
  if (amount && (terms.amountOff ?? 0) <= 0) {
    errors.push({ path: "amount_off", message: "must be a positive amount in minor units" });
  }
  if (amount && !terms.currency) {
    errors.push({ path: "currency", message: "an amount_off coupon needs a currency" });
  }
  if (!amount && terms.currency) {
    errors.push({ path: "currency", message: "only an amount_off coupon has a currency" });
  }
  if (terms.duration === "repeating") {
    const months = terms.durationMonths;
    if (months === null || months < 1 || months > 36) {
      errors.push({ path: "duration_months", message: "a repeating coupon needs 1 to 36 months" });
    }
  } else if (terms.durationMonths !== null) {
    errors.push({
      path: "duration_months",
      message: `only a repeating coupon has duration_months (this one is ${terms.duration})`,
    });
  }
  return errors;
}

async function planIdErrors(db: Db, planIds: string[] | null | undefined): Promise<FieldError[]> {
  if (!planIds || planIds.length === 0) return [];
  const found = await db
    .select({ id: plans.id })
    .from(plans)
    .where(inArray(plans.id, [...new Set(planIds)]));
  const known = new Set(found.map((p) => p.id));
  return planIds.flatMap((id, i) =>
    known.has(id) ? [] : [{ path: `plan_ids.${i}`, message: `no plan ${id}` }],
  );
}

function parseTime(value: string | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  return Date.parse(value);
}

function invalid(errors: FieldError[]): ApiError {
  return new ApiError("invalid_request", "Invalid coupon", { errors });
}

export async function createCoupon(
  db: Db,
  actorId: string,
  input: CreateCouponInput,
  now: number,
): Promise<Coupon> {
  const code = normalizeCode(input.code);
  const terms: Terms = {
    percentOff: input.percent_off ?? null,
    amountOff: input.amount_off ?? null,
    currency: input.currency ? input.currency.toLowerCase() : null,
    duration: input.duration,
    durationMonths: input.duration_months ?? null,
  };
  const expiresAt = parseTime(input.expires_at);
  const errors = [...termsErrors(terms), ...(await planIdErrors(db, input.plan_ids))];
  if (!COUPON_CODE.test(code)) {
    errors.unshift({ path: "code", message: "3 to 40 of A-Z, 0-9, _ and -" });
  }
  if (expiresAt !== null && expiresAt <= now) {
    errors.push({ path: "expires_at", message: "must be in the future" });
  }
  if (errors.length > 0) throw invalid(errors);

  const id = newId("cpn");
  const row = {
    id,
    code,
    name: input.name ?? null,
    ...terms,
    expiresAt,
    maxRedemptions: input.max_redemptions ?? null,
    timesRedeemed: 0,
    planIds: input.plan_ids && input.plan_ids.length > 0 ? [...new Set(input.plan_ids)] : null,
    active: input.active ?? true,
    createdAt: now,
    updatedAt: now,
  };
  try {
    const [inserted] = await db.batch([
      db.insert(coupons).values(row).returning(),
      auditInsert(
        db,
        { actorId, action: "coupon.create", targetType: "coupon", targetId: id, data: { code } },
        now,
      ),
    ]);
    const coupon = inserted[0];
    if (!coupon) throw new Error("coupon insert returned no row");
    return coupon;
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new ApiError("conflict", `A coupon with the code ${code} already exists`, {
        errors: [{ path: "code", message: "already taken" }],
      });
    }
    throw error;
  }
}

export async function getCoupon(db: Db, id: string): Promise<Coupon> {
  const coupon = await db.query.coupons.findFirst({ where: eq(coupons.id, id) });
  if (!coupon) throw notFound("Coupon");
  return coupon;
}

/** Redeemed, or attached to a subscription: its discount is part of someone's bill. */
export async function isCouponInUse(db: Db, coupon: Coupon): Promise<boolean> {
  if (coupon.timesRedeemed > 0) return true;
  const [redemption, subscription] = await Promise.all([
    db
      .select({ id: couponRedemptions.id })
      .from(couponRedemptions)
      .where(eq(couponRedemptions.couponId, coupon.id))
      .get(),
    db
      .select({ id: subscriptions.id })
      .from(subscriptions)
      .where(eq(subscriptions.couponId, coupon.id))
      .get(),
  ]);
  return redemption !== undefined || subscription !== undefined;
}

const TERM_FIELDS = [
  "percent_off",
  "amount_off",
  "currency",
  "duration",
  "duration_months",
] as const;

/** The discount after a patch: a new kind of discount replaces the old one whole. */
function patchedTerms(before: Coupon, patch: CouponTermsInput): Terms {
  const terms: Terms = {
    percentOff: before.percentOff,
    amountOff: before.amountOff,
    currency: before.currency,
    duration: before.duration,
    durationMonths: before.durationMonths,
  };
  if (patch.percent_off !== undefined) {
    terms.percentOff = patch.percent_off;
    if (patch.percent_off !== null && patch.amount_off === undefined) {
      terms.amountOff = null;
      if (patch.currency === undefined) terms.currency = null;
    }
  }
  if (patch.amount_off !== undefined) {
    terms.amountOff = patch.amount_off;
    if (patch.amount_off !== null && patch.percent_off === undefined) terms.percentOff = null;
  }
  if (patch.currency !== undefined) terms.currency = patch.currency?.toLowerCase() ?? null;
  if (patch.duration !== undefined) {
    terms.duration = patch.duration;
    if (patch.duration !== "repeating" && patch.duration_months === undefined) {
      terms.durationMonths = null;
    }
  }
  if (patch.duration_months !== undefined) terms.durationMonths = patch.duration_months;
  return terms;
}

function sameTerms(a: Terms, b: Terms): boolean {
  return (
    a.percentOff === b.percentOff &&
    a.amountOff === b.amountOff &&
    a.currency === b.currency &&
    a.duration === b.duration &&
    a.durationMonths === b.durationMonths
  );
}

export async function updateCoupon(
  db: Db,
  actorId: string,
  id: string,
  patch: UpdateCouponInput,
  now: number,
): Promise<Coupon> {
  const before = await getCoupon(db, id);
  const beforeTerms: Terms = {
    percentOff: before.percentOff,
    amountOff: before.amountOff,
    currency: before.currency,
    duration: before.duration,
    durationMonths: before.durationMonths,
  };
  const terms = patchedTerms(before, patch);
  const termsChanged = !sameTerms(beforeTerms, terms);
  const expiresAt = patch.expires_at === undefined ? undefined : parseTime(patch.expires_at);

  const errors = [
    ...(termsChanged ? termsErrors(terms) : []),
    ...(await planIdErrors(db, patch.plan_ids)),
  ];
  if (expiresAt !== undefined && expiresAt !== null && expiresAt <= now) {
    errors.push({ path: "expires_at", message: "must be in the future" });
  }
  if (errors.length > 0) throw invalid(errors);
  if (termsChanged && (await isCouponInUse(db, before))) {
    throw new ApiError(
      "conflict",
      "The coupon has been redeemed: its discount can no longer change (create a new coupon)",
    );
  }
  if (
    patch.max_redemptions !== undefined &&
    patch.max_redemptions !== null &&
    patch.max_redemptions < before.timesRedeemed
  ) {
    throw new ApiError(
      "conflict",
      `The coupon has already been redeemed ${before.timesRedeemed} times`,
      { errors: [{ path: "max_redemptions", message: `at least ${before.timesRedeemed}` }] },
    );
  }

  const changes: Partial<Coupon> = {
    ...(termsChanged ? terms : {}),
    ...(patch.name === undefined ? {} : { name: patch.name }),
    ...(expiresAt === undefined ? {} : { expiresAt }),
    ...(patch.max_redemptions === undefined ? {} : { maxRedemptions: patch.max_redemptions }),
    ...(patch.active === undefined ? {} : { active: patch.active }),
    ...(patch.plan_ids === undefined
      ? {}
      : {
          planIds:
            patch.plan_ids && patch.plan_ids.length > 0 ? [...new Set(patch.plan_ids)] : null,
        }),
  };
  const [updated] = await db.batch([
    db
      .update(coupons)
      .set({ ...changes, updatedAt: now })
      // A discount change only while nothing has been redeemed (a redemption may race the check).
      .where(
        termsChanged ? and(eq(coupons.id, id), eq(coupons.timesRedeemed, 0)) : eq(coupons.id, id),
      )
      .returning(),
    auditInsert(
      db,
      {
        actorId,
        action: "coupon.update",
        targetType: "coupon",
        targetId: id,
        data: {
          before: pick(couponView(before), patch),
          after: pick(couponView({ ...before, ...changes }), patch),
        },
      },
      now,
    ),
  ]);
  const coupon = updated[0];
  if (!coupon) {
    throw new ApiError("conflict", "The coupon was redeemed meanwhile: its discount cannot change");
  }
  return coupon;
}

/** The fields of a view that a patch named (and the discount, when any term was named). */
function pick(view: ReturnType<typeof couponView>, patch: object): Record<string, unknown> {
  const keys = new Set(Object.keys(patch));
  if (TERM_FIELDS.some((k) => keys.has(k))) for (const k of TERM_FIELDS) keys.add(k);
  return Object.fromEntries(Object.entries(view).filter(([k]) => keys.has(k)));
}

/**
 * Deletes a coupon nobody has used; a used one is deactivated instead (its discount stays on the
 * bills it is part of). Returns the deactivated coupon, or null when it was deleted.
 */
export async function deleteCoupon(
  db: Db,
  actorId: string,
  id: string,
  now: number,
): Promise<Coupon | null> {
  const coupon = await getCoupon(db, id);
  if (await isCouponInUse(db, coupon)) {
    const [updated] = await db.batch([
      db
        .update(coupons)
        .set({ active: false, updatedAt: now })
        .where(eq(coupons.id, id))
        .returning(),
      auditInsert(
        db,
        {
          actorId,
          action: "coupon.deactivate",
          targetType: "coupon",
          targetId: id,
          data: { code: coupon.code, times_redeemed: coupon.timesRedeemed },
        },
        now,
      ),
    ]);
    return updated[0] ?? { ...coupon, active: false, updatedAt: now };
  }
  await db.batch([
    db.delete(coupons).where(eq(coupons.id, id)),
    auditInsert(
      db,
      {
        actorId,
        action: "coupon.delete",
        targetType: "coupon",
        targetId: id,
        data: { code: coupon.code },
      },
      now,
    ),
  ]);
  return null;
}

export async function listCoupons(
  db: Db,
  query: { limit: number; cursor?: string | undefined; active?: boolean | undefined },
) {
  const { items, next_cursor: nextCursor } = await keysetPage(
    query,
    ({ after, orderBy, limit }) =>
      db
        .select()
        .from(coupons)
        .where(
          and(after, query.active === undefined ? undefined : eq(coupons.active, query.active)),
        )
        .orderBy(...orderBy)
        .limit(limit),
    { time: coupons.createdAt, id: coupons.id, timeOf: (row) => row.createdAt },
  );
  return { data: items.map(couponView), next_cursor: nextCursor };
}
