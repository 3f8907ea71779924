import { createRoute, z } from "@hono/zod-openapi";
import { COUPON_DURATIONS } from "../db/schema";
import { newRouter, principalOf } from "../lib/context";
import { bearerSecurity, errorResponses, jsonBody, jsonContent } from "../lib/openapi";
import { PageQuery } from "../lib/pagination";
import {
  couponView,
  createCoupon,
  deleteCoupon,
  getCoupon,
  listCoupons,
  updateCoupon,
} from "./service";

const tags = ["admin"];
const security = bearerSecurity;

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

const CouponListSchema = z
  .object({ data: z.array(CouponSchema), next_cursor: z.string().nullable() })
  .openapi("CouponList");

const CouponIdParam = z.object({
  id: z
    .string()
    .regex(/^cpn_[0-9a-z]+$/)
    .openapi({ param: { name: "id", in: "path" } }),
});

const CouponListQuery = z.object({
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
  .regex(/^[A-Z0-9_-]{3,40}$/, "3 to 40 of A-Z, 0-9, _ and - (compared case-insensitively)")
  .openapi({ example: "LAUNCH20" });
const Name = z.string().trim().min(1).max(100);
const PercentOff = z.number().int().min(1).max(100);
const AmountOff = z.number().int().positive().max(100_000_000);
const Currency = z
  .string()
  .regex(/^[A-Za-z]{3}$/, "an ISO 4217 code")
  .toLowerCase()
  .openapi({ example: "usd" });
const Duration = z.enum(COUPON_DURATIONS);
const DurationMonths = z.number().int().min(1).max(36);
const ExpiresAt = z.iso.datetime({ offset: true });
const MaxRedemptions = z.number().int().min(1).max(100_000_000);
const PlanIds = z.array(z.string().regex(/^pln_[0-9a-z_]+$/)).max(100);

const CreateCouponBody = z
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

const PatchCouponBody = z
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
  .refine((b) => Object.keys(b).length > 0, "send at least one field")
  .openapi("UpdateCouponRequest");

export const adminCouponRoutes = newRouter();

adminCouponRoutes.openapi(
  createRoute({
    method: "get",
    path: "/",
    operationId: "admin.coupons.list",
    tags,
    security,
    summary: "List coupons, newest first",
    request: { query: CouponListQuery },
    responses: {
      200: jsonContent(CouponListSchema, "A page of coupons"),
    },
  }),
  async (c) => c.json(await listCoupons(c.var.db, c.req.valid("query")), 200),
);

adminCouponRoutes.openapi(
  createRoute({
    method: "post",
    path: "/",
    operationId: "admin.coupons.create",
    tags,
    security,
    summary: "Create a coupon",
    description:
      "Exactly one of percent_off (1–100) or amount_off (> 0, with currency). duration `repeating` needs duration_months (1–36). Codes are unique, case-insensitively.",
    request: { body: jsonBody(CreateCouponBody) },
    responses: {
      201: jsonContent(CouponSchema, "The coupon"),
      ...errorResponses(409),
    },
  }),
  async (c) => {
    const coupon = await createCoupon(
      c.var.db,
      principalOf(c).userId,
      c.req.valid("json"),
      c.var.now,
    );
    return c.json(couponView(coupon), 201);
  },
);

adminCouponRoutes.openapi(
  createRoute({
    method: "get",
    path: "/{id}",
    operationId: "admin.coupons.get",
    tags,
    security,
    summary: "One coupon",
    request: { params: CouponIdParam },
    responses: {
      200: jsonContent(CouponSchema, "The coupon"),
      ...errorResponses(404),
    },
  }),
  async (c) => c.json(couponView(await getCoupon(c.var.db, c.req.valid("param").id)), 200),
);

adminCouponRoutes.openapi(
  createRoute({
    method: "patch",
    path: "/{id}",
    operationId: "admin.coupons.update",
    tags,
    security,
    summary: "Change a coupon (its discount only while it has never been redeemed)",
    request: { params: CouponIdParam, body: jsonBody(PatchCouponBody) },
    responses: {
      200: jsonContent(CouponSchema, "The updated coupon"),
      ...errorResponses(404, 409),
    },
  }),
  async (c) => {
    const coupon = await updateCoupon(
      c.var.db,
      principalOf(c).userId,
      c.req.valid("param").id,
      c.req.valid("json"),
      c.var.now,
    );
    return c.json(couponView(coupon), 200);
  },
);

adminCouponRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/{id}",
    operationId: "admin.coupons.delete",
    tags,
    security,
    summary: "Delete a coupon; one that has been redeemed is deactivated instead (200)",
    request: { params: CouponIdParam },
    responses: {
      200: jsonContent(CouponSchema, "The coupon was redeemed before: it is now inactive"),
      204: { description: "Deleted" },
      ...errorResponses(404),
    },
  }),
  async (c) => {
    const coupon = await deleteCoupon(
      c.var.db,
      principalOf(c).userId,
      c.req.valid("param").id,
      c.var.now,
    );
    return coupon ? c.json(couponView(coupon), 200) : c.body(null, 204);
  },
);
