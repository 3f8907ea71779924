// Coupons as admins manage them: create, read, change and delete, each change audit-logged in
// the batch that makes it. A coupon's discount is frozen once someone's bill includes it.
import { and, eq } from "drizzle-orm";
import { auditInsert } from "../audit/audit";
import { type Db, isUniqueViolation } from "../db";
import { type Coupon, coupons } from "../db/schema";
import { msg } from "../i18n";
import type { ServiceContext } from "../lib/context";
import { ApiError, notFound } from "../lib/errors";
import { newId } from "../lib/ids";
import { keysetPage } from "../lib/pagination";
import { iso } from "../lib/time";
import {
  type CreateCouponInput,
  expiryErrors,
  invalidCoupon,
  parseTime,
  planIdErrors,
  storedPlanIds,
  type UpdateCouponInput,
} from "./admin-input";
import { COUPON_CODE, normalizeCode } from "./codes";
import { isCouponInUse } from "./redemptions";
import { patchedTerms, sameTerms, TERM_FIELDS, type Terms, termsErrors, termsOf } from "./terms";

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

export async function createCoupon(
  { db, now }: ServiceContext,
  actorId: string,
  input: CreateCouponInput,
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
  const errors = [
    ...termsErrors(terms),
    ...(await planIdErrors(db, input.plan_ids)),
    ...expiryErrors(expiresAt, now),
  ];
  if (!COUPON_CODE.test(code)) {
    errors.unshift({ path: "code", message: msg("validation.coupon_code") });
  }
  if (errors.length > 0) throw invalidCoupon(errors);

  const id = newId("cpn");
  const row = {
    id,
    code,
    name: input.name ?? null,
    ...terms,
    expiresAt,
    maxRedemptions: input.max_redemptions ?? null,
    timesRedeemed: 0,
    planIds: storedPlanIds(input.plan_ids),
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
      throw new ApiError("conflict", msg("problems.conflict.coupon_code_taken", { code }), {
        errors: [{ path: "code", message: msg("validation.already_taken") }],
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

export async function updateCoupon(
  { db, now }: ServiceContext,
  actorId: string,
  id: string,
  patch: UpdateCouponInput,
): Promise<Coupon> {
  const before = await getCoupon(db, id);
  const terms = patchedTerms(before, patch);
  const termsChanged = !sameTerms(termsOf(before), terms);
  const expiresAt = patch.expires_at === undefined ? undefined : parseTime(patch.expires_at);

  const errors = [
    ...(termsChanged ? termsErrors(terms) : []),
    ...(await planIdErrors(db, patch.plan_ids)),
    ...expiryErrors(expiresAt, now),
  ];
  if (errors.length > 0) throw invalidCoupon(errors);
  if (termsChanged && (await isCouponInUse(db, before))) {
    throw new ApiError("conflict", msg("problems.conflict.coupon_in_use"));
  }
  if (
    patch.max_redemptions !== undefined &&
    patch.max_redemptions !== null &&
    patch.max_redemptions < before.timesRedeemed
  ) {
    const count = before.timesRedeemed;
    throw new ApiError("conflict", msg("problems.conflict.coupon_redeemed", { count }), {
      errors: [{ path: "max_redemptions", message: msg("validation.at_least", { min: count }) }],
    });
  }

  const changes: Partial<Coupon> = {
    ...(termsChanged ? terms : {}),
    ...(patch.name === undefined ? {} : { name: patch.name }),
    ...(expiresAt === undefined ? {} : { expiresAt }),
    ...(patch.max_redemptions === undefined ? {} : { maxRedemptions: patch.max_redemptions }),
    ...(patch.active === undefined ? {} : { active: patch.active }),
    ...(patch.plan_ids === undefined ? {} : { planIds: storedPlanIds(patch.plan_ids) }),
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
    throw new ApiError("conflict", msg("problems.conflict.coupon_redeemed_meanwhile"));
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
  { db, now }: ServiceContext,
  actorId: string,
  id: string,
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
