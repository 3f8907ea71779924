import { createRoute } from "@hono/zod-openapi";
import { newRouter, principalOf, serviceContext } from "../lib/context";
import { bearerSecurity, errorResponses, jsonBody, jsonContent } from "../lib/openapi";
import {
  CouponIdParam,
  CouponListQuery,
  CouponListSchema,
  CouponSchema,
  CreateCouponBody,
  PatchCouponBody,
} from "./admin-schemas";
import {
  couponView,
  createCoupon,
  deleteCoupon,
  getCoupon,
  listCoupons,
  updateCoupon,
} from "./admin-service";

const tags = ["admin"];
const security = bearerSecurity;

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
      serviceContext(c),
      principalOf(c).userId,
      c.req.valid("json"),
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
      serviceContext(c),
      principalOf(c).userId,
      c.req.valid("param").id,
      c.req.valid("json"),
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
      serviceContext(c),
      principalOf(c).userId,
      c.req.valid("param").id,
    );
    return coupon ? c.json(couponView(coupon), 200) : c.body(null, 204);
  },
);
