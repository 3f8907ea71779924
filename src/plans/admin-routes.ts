import { createRoute } from "@hono/zod-openapi";
import { newRouter, principalOf, serviceContext } from "../lib/context";
import { bearerSecurity, errorResponses, jsonBody, jsonContent } from "../lib/openapi";
import { afterResponse } from "../lib/request";
import { syncPoliciesAfterCommit } from "../ratelimit/client";
import {
  AdminPlanListSchema,
  AdminPlanSchema,
  CreatePlanBody,
  PatchPlanBody,
  PlanIdParam,
} from "./admin-schemas";
import {
  adminPlanView,
  createPlan,
  deletePlan,
  getPlan,
  listAllPlans,
  subscribersOfPlan,
  updatePlan,
} from "./admin-service";

const tags = ["admin"];
const security = bearerSecurity;

export const adminPlanRoutes = newRouter();

adminPlanRoutes.openapi(
  createRoute({
    method: "get",
    path: "/",
    operationId: "admin.plans.list",
    tags,
    security,
    summary: "Every plan, archived ones too, in display order",
    responses: {
      200: jsonContent(AdminPlanListSchema, "The plans"),
    },
  }),
  async (c) => c.json({ data: (await listAllPlans(c.var.db)).map(adminPlanView) }, 200),
);

adminPlanRoutes.openapi(
  createRoute({
    method: "post",
    path: "/",
    operationId: "admin.plans.create",
    tags,
    security,
    summary: "Create a plan",
    request: { body: jsonBody(CreatePlanBody) },
    responses: {
      201: jsonContent(AdminPlanSchema, "The plan"),
      ...errorResponses(409),
    },
  }),
  async (c) => {
    const plan = await createPlan(serviceContext(c), principalOf(c).userId, c.req.valid("json"));
    return c.json(adminPlanView(plan), 201);
  },
);

adminPlanRoutes.openapi(
  createRoute({
    method: "get",
    path: "/{id}",
    operationId: "admin.plans.get",
    tags,
    security,
    summary: "One plan",
    request: { params: PlanIdParam },
    responses: {
      200: jsonContent(AdminPlanSchema, "The plan"),
      ...errorResponses(404),
    },
  }),
  async (c) => c.json(adminPlanView(await getPlan(c.var.db, c.req.valid("param").id)), 200),
);

adminPlanRoutes.openapi(
  createRoute({
    method: "patch",
    path: "/{id}",
    operationId: "admin.plans.update",
    tags,
    security,
    summary: "Change a plan; new limits and features reach its subscribers on their next request",
    request: { params: PlanIdParam, body: jsonBody(PatchPlanBody) },
    responses: {
      200: jsonContent(AdminPlanSchema, "The updated plan"),
      ...errorResponses(404, 409),
    },
  }),
  async (c) => {
    const ctx = serviceContext(c);
    const { plan, entitlementsChanged } = await updatePlan(
      ctx,
      principalOf(c).userId,
      c.req.valid("param").id,
      c.req.valid("json"),
    );
    // After the commit: each subscriber's RateLimiter re-reads its policy from D1. (The free
    // plan's users are not enumerated; their objects pick it up at their hourly reconcile.)
    // Done after answering, and one user's failure never stops the others (the hourly reconcile
    // heals any it missed).
    if (entitlementsChanged) {
      const work = subscribersOfPlan(ctx.db, plan.id).then((userIds) =>
        syncPoliciesAfterCommit(ctx, userIds),
      );
      afterResponse(c, "plan limiter sync", work);
    }
    return c.json(adminPlanView(plan), 200);
  },
);

adminPlanRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/{id}",
    operationId: "admin.plans.delete",
    tags,
    security,
    summary:
      "Delete a plan; one with subscriptions is archived instead (200). The free plan is kept (409)",
    request: { params: PlanIdParam },
    responses: {
      200: jsonContent(AdminPlanSchema, "The plan has subscriptions: it is now archived"),
      204: { description: "Deleted" },
      ...errorResponses(404, 409),
    },
  }),
  async (c) => {
    const plan = await deletePlan(
      serviceContext(c),
      principalOf(c).userId,
      c.req.valid("param").id,
    );
    return plan ? c.json(adminPlanView(plan), 200) : c.body(null, 204);
  },
);
