import { createRoute, z } from "@hono/zod-openapi";
import { requireAuth } from "../auth/middleware";
import { PAYMENT_STATUSES, PROVIDERS } from "../db/schema";
import { newRouter, principalOf, serviceContext } from "../lib/context";
import { bearerSecurity, errorResponses, jsonBody, jsonContent } from "../lib/openapi";
import { PageQuery } from "../lib/pagination";
import { adminPaymentView, getPayment, listPayments, paymentView, refundPayment } from "./service";

const security = bearerSecurity;

const PaymentSchema = z
  .object({
    id: z.string(),
    subscription_id: z.string().nullable(),
    provider: z.enum(PROVIDERS),
    amount: z.number().int().openapi({ description: "Minor units of `currency`" }),
    amount_refunded: z.number().int(),
    currency: z.string(),
    status: z.enum(PAYMENT_STATUSES),
    period_start: z.iso.datetime().nullable(),
    period_end: z.iso.datetime().nullable(),
    receipt_url: z.string().nullable(),
    failure_reason: z.string().nullable(),
    created_at: z.iso.datetime(),
  })
  .openapi("Payment");

const PaymentList = z.object({ data: z.array(PaymentSchema), next_cursor: z.string().nullable() });
const AdminPaymentSchema = PaymentSchema.extend({ user_id: z.string() }).openapi("AdminPayment");
const AdminPaymentList = z.object({
  data: z.array(AdminPaymentSchema),
  next_cursor: z.string().nullable(),
});
const PaymentIdParam = z.object({
  id: z
    .string()
    .regex(/^pay_[0-9a-z]+$/)
    .openapi({ param: { name: "id", in: "path" } }),
});

export const paymentRoutes = newRouter();
paymentRoutes.use("*", requireAuth);

paymentRoutes.openapi(
  createRoute({
    method: "get",
    path: "/",
    operationId: "payments.list",
    tags: ["payments"],
    security,
    summary: "Your payments, newest first",
    request: { query: z.object(PageQuery) },
    responses: {
      200: jsonContent(PaymentList, "A page of payments"),
      ...errorResponses(403),
    },
  }),
  async (c) => {
    const { items, nextCursor } = await listPayments(
      c.var.db,
      { userId: principalOf(c).userId },
      c.req.valid("query"),
    );
    return c.json({ data: items.map(paymentView), next_cursor: nextCursor }, 200);
  },
);

paymentRoutes.openapi(
  createRoute({
    method: "get",
    path: "/{id}",
    operationId: "payments.get",
    tags: ["payments"],
    security,
    summary: "One of your payments",
    request: { params: PaymentIdParam },
    responses: {
      200: jsonContent(PaymentSchema, "The payment"),
      ...errorResponses(403, 404),
    },
  }),
  async (c) =>
    c.json(
      paymentView(await getPayment(c.var.db, c.req.valid("param").id, principalOf(c).userId)),
      200,
    ),
);

export const adminPaymentRoutes = newRouter();

adminPaymentRoutes.openapi(
  createRoute({
    method: "get",
    path: "/",
    operationId: "admin.payments.list",
    tags: ["admin"],
    security,
    summary: "All payments, newest first",
    request: {
      query: z.object({
        ...PageQuery,
        user_id: z.string().max(64).optional(),
        status: z.enum(PAYMENT_STATUSES).optional(),
      }),
    },
    responses: {
      200: jsonContent(AdminPaymentList, "A page of payments"),
    },
  }),
  async (c) => {
    const query = c.req.valid("query");
    const { items, nextCursor } = await listPayments(
      c.var.db,
      { userId: query.user_id, status: query.status },
      query,
    );
    return c.json({ data: items.map(adminPaymentView), next_cursor: nextCursor }, 200);
  },
);

adminPaymentRoutes.openapi(
  createRoute({
    method: "post",
    path: "/{id}/refund",
    operationId: "admin.payments.refund",
    tags: ["admin"],
    security,
    summary:
      "Refund a payment through its provider, fully or in part (audit-logged); a wallet top-up only from what is left of it (409 once spent)",
    request: {
      params: PaymentIdParam,
      body: {
        ...jsonBody(
          z
            .strictObject({
              amount: z
                .number()
                .int()
                .positive()
                .optional()
                .openapi({ description: "Minor units; default: all that is left" }),
              reason: z.string().trim().max(500).optional(),
              reference: z.string().min(1).max(200).optional().openapi({
                description:
                  "A wallet top-up's refund to retry: the reference a 502 provider_outcome_unknown named (same amount)",
              }),
            })
            .openapi("RefundRequest"),
        ),
        required: false,
      },
    },
    responses: {
      200: jsonContent(AdminPaymentSchema, "The payment after the refund"),
      ...errorResponses(400, 404, 409, 502, 503),
    },
  }),
  async (c) => {
    const payment = await refundPayment(
      serviceContext(c),
      principalOf(c).userId,
      c.req.valid("param").id,
      c.req.valid("json"),
    );
    return c.json(adminPaymentView(payment), 200);
  },
);
