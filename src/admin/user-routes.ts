import { createRoute } from "@hono/zod-openapi";
import { auditInsert } from "../audit/audit";
import { WINDOW_NAMES } from "../db/plan-features";
import { newRouter, principalOf, serviceContext } from "../lib/context";
import { bearerSecurity, errorResponses, jsonBody, jsonContent } from "../lib/openapi";
import { resetUsage } from "../ratelimit/client";
import { UsageSchema, usageOf } from "../ratelimit/usage";
import {
  AdminUserSchema,
  AuditListSchema,
  AuditQuery,
  PatchUserBody,
  ResetUsageBody,
  UserIdParam,
  UserListQuery,
  UserListSchema,
} from "./schemas";
import { listUsers } from "./user-list";
import { adminUser, getUser, listAudit, updateUser } from "./users";

const tags = ["admin"];
const security = bearerSecurity;

export const adminUserRoutes = newRouter();

adminUserRoutes.openapi(
  createRoute({
    method: "get",
    path: "/users",
    operationId: "admin.users.list",
    tags,
    security,
    summary:
      "List users, newest first, with their plan and standing; search by email, filter by plan, standing or status",
    request: { query: UserListQuery },
    responses: {
      200: jsonContent(UserListSchema, "A page of users"),
    },
  }),
  async (c) => c.json(await listUsers(serviceContext(c), c.req.valid("query")), 200),
);

adminUserRoutes.openapi(
  createRoute({
    method: "get",
    path: "/users/{id}",
    operationId: "admin.users.get",
    tags,
    security,
    summary: "One user",
    request: { params: UserIdParam },
    responses: {
      200: jsonContent(AdminUserSchema, "The user"),
      ...errorResponses(404),
    },
  }),
  async (c) => c.json(adminUser(await getUser(c.var.db, c.req.valid("param").id)), 200),
);

adminUserRoutes.openapi(
  createRoute({
    method: "patch",
    path: "/users/{id}",
    operationId: "admin.users.update",
    tags,
    security,
    summary: "Change a user's role or status (disabling ends their sessions)",
    request: { params: UserIdParam, body: jsonBody(PatchUserBody) },
    responses: {
      200: jsonContent(AdminUserSchema, "The updated user"),
      ...errorResponses(404),
    },
  }),
  async (c) => {
    const user = await updateUser(
      serviceContext(c),
      principalOf(c).userId,
      c.req.valid("param").id,
      c.req.valid("json"),
    );
    return c.json(adminUser(user), 200);
  },
);

adminUserRoutes.openapi(
  createRoute({
    method: "get",
    path: "/audit",
    operationId: "admin.audit.list",
    tags,
    security,
    summary: "The audit log of admin actions, newest first",
    request: { query: AuditQuery },
    responses: {
      200: jsonContent(AuditListSchema, "A page of audit entries"),
    },
  }),
  async (c) => c.json(await listAudit(c.var.db, c.req.valid("query")), 200),
);

adminUserRoutes.openapi(
  createRoute({
    method: "get",
    path: "/users/{id}/usage",
    operationId: "admin.users.usage.get",
    tags,
    security,
    summary: "A user's current usage, standing and 30 days of history",
    request: { params: UserIdParam },
    responses: {
      200: jsonContent(UsageSchema, "Usage"),
      ...errorResponses(404),
    },
  }),
  async (c) => {
    const user = await getUser(c.var.db, c.req.valid("param").id);
    return c.json(await usageOf(c.env, user.id, c.var.now), 200);
  },
);

adminUserRoutes.openapi(
  createRoute({
    method: "post",
    path: "/users/{id}/usage/reset",
    operationId: "admin.users.usage.reset",
    tags,
    security,
    summary: "Set a user's windows (all, or the ones named) back to zero",
    request: { params: UserIdParam, body: { ...jsonBody(ResetUsageBody), required: false } },
    responses: {
      200: jsonContent(UsageSchema, "Usage after the reset"),
      ...errorResponses(404),
    },
  }),
  async (c) => {
    const user = await getUser(c.var.db, c.req.valid("param").id);
    const windows = c.req.valid("json").windows ?? [...WINDOW_NAMES];
    // The audit row first: an action that fails halfway is still on record as attempted.
    await auditInsert(
      c.var.db,
      {
        actorId: principalOf(c).userId,
        action: "usage.reset",
        targetType: "user",
        targetId: user.id,
        data: { windows },
      },
      c.var.now,
    );
    await resetUsage(c.env, user.id, windows);
    return c.json(await usageOf(c.env, user.id, c.var.now), 200);
  },
);
