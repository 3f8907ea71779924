import { createRoute, z } from "@hono/zod-openapi";
import { requireAuth } from "../auth/middleware";
import { INTERVALS, PAID_PROVIDERS } from "../db/schema";
import { newRouter, principalOf, serviceContext } from "../lib/context";
import { bearerSecurity, errorResponses, jsonBody, jsonContent } from "../lib/openapi";
import { iso } from "../lib/time";
import { planById } from "../policy/current";
import { cancel, resume } from "./cancellation";
import { checkout } from "./checkout";
import { change, preview } from "./plan-change";
import { billingPortal } from "./portal";
import type { ChangePreview } from "./proration";
import { SubscriptionSchema } from "./schemas";
import { subscriptionSummary, subscriptionView } from "./view";

const tags = ["subscription"];
const security = bearerSecurity;
const Interval = z.enum(INTERVALS);
const PlanId = z.string().regex(/^pln_[0-9a-z_]+$/);
const Url = z.url({ protocol: /^https?$/ }).max(2000);

const ProrationSchema = z
  .object({
    direction: z.enum(["upgrade", "downgrade", "same"]),
    currency: z.string(),
    credit: z.number().int(),
    charge: z.number().int(),
    amount_due_now: z.number().int(),
    carried_credit: z.number().int(),
    next_invoice: z.object({ amount: z.number().int(), at: z.iso.datetime() }),
  })
  .openapi("ProrationPreview");

const ChangeTarget = z.strictObject({ plan_id: PlanId, interval: Interval });

export const subscriptionRoutes = newRouter();
subscriptionRoutes.use("*", requireAuth);

subscriptionRoutes.openapi(
  createRoute({
    method: "get",
    path: "/",
    operationId: "subscription.get",
    tags,
    security,
    summary: "The current subscription (null on the free plan)",
    responses: {
      200: jsonContent(
        z.object({ subscription: SubscriptionSchema.nullable() }),
        "The subscription",
      ),
      ...errorResponses(403),
    },
  }),
  async (c) =>
    c.json(
      { subscription: await subscriptionSummary(serviceContext(c), principalOf(c).userId) },
      200,
    ),
);

subscriptionRoutes.openapi(
  createRoute({
    method: "post",
    path: "/checkout",
    operationId: "subscription.checkout",
    tags,
    security,
    summary: "Start buying a plan through Stripe or PayPal; answers the URL to send the buyer to",
    request: {
      body: jsonBody(
        z
          .strictObject({
            plan_id: PlanId,
            interval: Interval,
            provider: z.enum(PAID_PROVIDERS),
            coupon_code: z.string().trim().min(1).max(40).optional(),
            success_url: Url,
            cancel_url: Url,
          })
          .openapi("CheckoutRequest"),
      ),
    },
    responses: {
      201: jsonContent(
        z.object({
          provider: z.enum(PAID_PROVIDERS),
          checkout_url: z.string(),
          subscription_id: z.string(),
        }),
        "Where to send the buyer",
      ),
      ...errorResponses(403, 404, 409, 502, 503),
    },
  }),
  async (c) => {
    const result = await checkout(serviceContext(c), principalOf(c).userId, c.req.valid("json"));
    return c.json(result, 201);
  },
);

function prorationView(preview: ChangePreview, currency: string) {
  return {
    direction: preview.direction,
    currency,
    credit: preview.credit,
    charge: preview.charge,
    amount_due_now: preview.amount_due_now,
    carried_credit: preview.carried_credit,
    next_invoice: {
      amount: preview.next_invoice.amount,
      at: iso(preview.next_invoice.at),
    },
  };
}

subscriptionRoutes.openapi(
  createRoute({
    method: "get",
    path: "/change/preview",
    operationId: "subscription.change.preview",
    tags,
    security,
    summary:
      "What changing plan would cost: credit for unused time, charge, amount due now, next invoice",
    request: { query: ChangeTarget },
    responses: {
      200: jsonContent(ProrationSchema, "The proration"),
      ...errorResponses(403, 404, 409),
    },
  }),
  async (c) => {
    const found = await preview(serviceContext(c), principalOf(c).userId, c.req.valid("query"));
    return c.json(prorationView(found.preview, found.nextPlan.currency), 200);
  },
);

subscriptionRoutes.openapi(
  createRoute({
    method: "post",
    path: "/change",
    operationId: "subscription.change",
    tags,
    security,
    summary: "Change plan: upgrades now with proration, downgrades at the period end",
    request: { body: jsonBody(ChangeTarget.openapi("ChangePlanRequest")) },
    responses: {
      200: jsonContent(
        z.object({
          effective: z.enum(["now", "period_end", "after_approval"]),
          approval_url: z.string().nullable(),
          proration: ProrationSchema,
          subscription: SubscriptionSchema.nullable(),
        }),
        "The change",
      ),
      ...errorResponses(403, 404, 409, 502, 503),
    },
  }),
  async (c) => {
    const { userId } = principalOf(c);
    const target = c.req.valid("json");
    const ctx = serviceContext(c);
    const result = await change(ctx, userId, target);
    const plan = await planById(ctx.db, target.plan_id);
    return c.json(
      {
        effective: result.effective,
        approval_url: result.approval_url,
        proration: prorationView(result.preview, plan?.currency ?? "usd"),
        subscription: await subscriptionSummary(ctx, userId),
      },
      200,
    );
  },
);

subscriptionRoutes.openapi(
  createRoute({
    method: "post",
    path: "/cancel",
    operationId: "subscription.cancel",
    tags,
    security,
    summary: "Cancel, at the period end by default",
    request: {
      body: jsonBody(
        z
          .strictObject({
            at_period_end: z.boolean().default(true),
            reason: z.string().trim().max(500).optional(),
          })
          .openapi("CancelRequest"),
      ),
    },
    responses: {
      200: jsonContent(z.object({ subscription: SubscriptionSchema }), "The subscription"),
      ...errorResponses(403, 404, 502, 503),
    },
  }),
  async (c) => {
    const subscription = await cancel(
      serviceContext(c),
      principalOf(c).userId,
      c.req.valid("json"),
    );
    return c.json(
      {
        subscription: subscriptionView(subscription, await planById(c.var.db, subscription.planId)),
      },
      200,
    );
  },
);

subscriptionRoutes.openapi(
  createRoute({
    method: "post",
    path: "/resume",
    operationId: "subscription.resume",
    tags,
    security,
    summary: "Undo a pending cancellation",
    responses: {
      200: jsonContent(z.object({ subscription: SubscriptionSchema }), "The subscription"),
      ...errorResponses(403, 404, 409, 502, 503),
    },
  }),
  async (c) => {
    const subscription = await resume(serviceContext(c), principalOf(c).userId);
    return c.json(
      {
        subscription: subscriptionView(subscription, await planById(c.var.db, subscription.planId)),
      },
      200,
    );
  },
);

export const billingRoutes = newRouter();
billingRoutes.use("*", requireAuth);
billingRoutes.openapi(
  createRoute({
    method: "post",
    path: "/portal",
    operationId: "billing.portal.create",
    tags,
    security,
    summary: "A Stripe customer portal session for managing payment methods and invoices",
    request: { body: jsonBody(z.strictObject({ return_url: Url }).openapi("PortalRequest")) },
    responses: {
      200: jsonContent(z.object({ url: z.string() }), "The portal URL"),
      ...errorResponses(403, 409, 502, 503),
    },
  }),
  async (c) =>
    c.json(
      await billingPortal(serviceContext(c), principalOf(c).userId, c.req.valid("json").return_url),
      200,
    ),
);
