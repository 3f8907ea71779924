// The admin coupon API's shapes. Bodies check each field alone; the rules between fields
// (terms.ts) and against the database (admin-input.ts) are the service's.
import { z } from "@hono/zod-openapi";
import { COUPON_DURATIONS } from "../db/schema";
import { PageQuery } from "../lib/pagination";
import { COUPON_CODE } from "./codes";

export const CouponSchema = z
  .object({
    id: z.string().openapi({ example: "cpn_5x2k9v3m8d7c6x5z4q1w0e9r8t" }),
    code: z.string().openapi({ example: "LAUNCH20" }),
    name: z.string().nullable(),
    percent_off: z.number().int().nullable(),
    amount_off: z.number().int().nullable().openapi({ description: "Minor units of `currency`" }),
    currency: z.string().nullable(),
    duration: z.enum(COUPON_DURATIONS),
    duration_months: z.number().int().nullable(),
    expires_at: z.iso.datetime().nullable(),
    max_redemptions: z.number().int().nullable(),
    times_redeemed: z.number().int(),
    plan_ids: z.array(z.string()).nullable().openapi({ description: "null: every plan" }),
    active: z.boolean(),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .openapi("Coupon");

export const CouponListSchema = z
  .object({ data: z.array(CouponSchema), next_cursor: z.string().nullable() })
  .openapi("CouponList");

export const CouponIdParam = z.object({
  id: z
    .string()
    .regex(/^cpn_[0-9a-z]+$/)
    .openapi({ param: { name: "id", in: "path" } }),
});

export const CouponListQuery = z.object({
  ...PageQuery,
  active: z
    .enum(["true", "false"])
    .transform((v) => v === "true")
    .optional()
    .openapi({ description: "Only active (true) or inactive (false) coupons" }),
});

const Code = z
  .string()
  .trim()
  .toUpperCase()
  .regex(COUPON_CODE, "3 to 40 of A-Z, 0-9, _ and - (compared case-insensitively)")
  .openapi({ example: "LAUNCH20" });
const Name = z.string().trim().min(1).max(100);
const PercentOff = z.number().int().min(1).max(100);
const AmountOff = z.number().int().positive().max(100_000_000);
const Currency = z
  .string()
  .regex(/^[A-Za-z]{3}$/, "validation.currency_code")
  .toLowerCase()
  .openapi({ example: "usd" });
const Duration = z.enum(COUPON_DURATIONS);
const DurationMonths = z.number().int().min(1).max(36);
const ExpiresAt = z.iso.datetime({ offset: true });
const MaxRedemptions = z.number().int().min(1).max(100_000_000);
const PlanIds = z.array(z.string().regex(/^pln_[0-9a-z_]+$/)).max(100);

export const CreateCouponBody = z
  .strictObject({
    code: Code,
    name: Name.nullable().optional(),
    percent_off: PercentOff.optional().openapi({ description: "Exactly one of percent_off…" }),
    amount_off: AmountOff.optional().openapi({ description: "…or amount_off (with currency)" }),
    currency: Currency.optional(),
    duration: Duration,
    duration_months: DurationMonths.optional().openapi({ description: "Only for repeating" }),
    expires_at: ExpiresAt.nullable().optional(),
    max_redemptions: MaxRedemptions.nullable().optional(),
    plan_ids: PlanIds.nullable().optional().openapi({ description: "Omitted or null: any plan" }),
    active: z.boolean().optional(),
  })
  .openapi("CreateCouponRequest");

export const PatchCouponBody = z
  .strictObject({
    name: Name.nullable().optional(),
    expires_at: ExpiresAt.nullable().optional(),
    max_redemptions: MaxRedemptions.nullable().optional(),
    active: z.boolean().optional(),
    plan_ids: PlanIds.nullable().optional(),
    percent_off: PercentOff.nullable().optional(),
    amount_off: AmountOff.nullable().optional(),
    currency: Currency.nullable().optional(),
    duration: Duration.optional(),
    duration_months: DurationMonths.nullable().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, "validation.at_least_one_field")
  .openapi("UpdateCouponRequest");
