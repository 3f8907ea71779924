import { createRoute, z } from "@hono/zod-openapi";
import { requireAuth } from "../auth/middleware";
import { COUPON_DURATIONS, INTERVALS } from "../db/schema";
import { newRouter, principalOf } from "../lib/context";
import { bearerSecurity, errorResponses, jsonBody, jsonContent } from "../lib/openapi";
import { validateCoupon } from "./validation";

export const ValidateCouponBody = z
  .strictObject({
    code: z.string().trim().min(1).max(40).openapi({ example: "LAUNCH20" }),
    plan_id: z.string().min(1).max(64).openapi({ example: "pln_pro" }),
    interval: z.enum(INTERVALS),
  })
  .openapi("ValidateCouponRequest");

export const CouponBreakdownSchema = z
  .object({
    code: z.string(),
    name: z.string().nullable(),
    percent_off: z.number().int().nullable(),
    amount_off: z.number().int().nullable(),
    plan_id: z.string(),
    interval: z.enum(INTERVALS),
    currency: z.string().openapi({ description: "ISO 4217, lower-case", example: "usd" }),
    price: z.number().int().openapi({ description: "The plan's price, minor units" }),
    discount: z.number().int().openapi({ description: "Taken off the first invoice" }),
    total: z.number().int().openapi({ description: "The first invoice after the discount" }),
    duration: z.enum(COUPON_DURATIONS),
    duration_months: z.number().int().nullable(),
  })
  .openapi("CouponBreakdown");

/**
 * POST /v1/coupons/validate — authenticated: whether a coupon applies depends on who redeems
 * it (once per user). An account route: counted in the user's account window, not the plan's.
 */
export const couponRoutes = newRouter();
couponRoutes.use("*", requireAuth);

couponRoutes.openapi(
  createRoute({
    method: "post",
    path: "/validate",
    operationId: "coupons.validate",
    tags: ["billing"],
    security: bearerSecurity,
    summary: "Check a coupon for a plan and interval; answers with the discounted first invoice",
    description:
      "A coupon that cannot be applied is a 400 `coupon_not_applicable` problem whose `rule` says why: not_found, inactive, expired, max_redemptions, already_redeemed, plan_not_eligible or currency_mismatch.",
    request: { body: jsonBody(ValidateCouponBody) },
    responses: {
      200: jsonContent(CouponBreakdownSchema, "The coupon applies"),
      ...errorResponses(403, 404, 409),
    },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const { coupon, breakdown } = await validateCoupon(c.var.db, {
      code: body.code,
      planId: body.plan_id,
      interval: body.interval,
      userId: principalOf(c).userId,
      now: c.var.now,
    });
    return c.json(
      {
        code: coupon.code,
        name: coupon.name,
        percent_off: coupon.percentOff,
        amount_off: coupon.amountOff,
        ...breakdown,
      },
      200,
    );
  },
);
