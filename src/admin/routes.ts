import { createRoute } from "@hono/zod-openapi";
import { requireAdmin, requireAuth } from "../auth/middleware";
import { newRouter, principalOf } from "../lib/context";
import { bearerSecurity, errorResponses, jsonBody, jsonContent } from "../lib/openapi";
import {
  AdminUserSchema,
  AuditListSchema,
  AuditQuery,
  PatchUserBody,
  UserIdParam,
  UserListQuery,
  UserListSchema,
} from "./schemas";
import { adminUser, getUser, listAudit, listUsers, updateUser } from "./users";

const tags = ["admin"];
const security = bearerSecurity;

export const adminRoutes = newRouter();
adminRoutes.use("*", requireAuth, requireAdmin);

adminRoutes.openapi(
  createRoute({
    method: "get",
    path: "/users",
    tags,
    security,
    summary: "List users, newest first, optionally searching by email",
    request: { query: UserListQuery },
    responses: {
      200: jsonContent(UserListSchema, "A page of users"),
      ...errorResponses(400, 401, 403),
    },
  }),
  async (c) => c.json(await listUsers(c.var.db, c.req.valid("query")), 200),
);

adminRoutes.openapi(
  createRoute({
    method: "get",
    path: "/users/{id}",
    tags,
    security,
    summary: "One user",
    request: { params: UserIdParam },
    responses: {
      200: jsonContent(AdminUserSchema, "The user"),
      ...errorResponses(400, 401, 403, 404),
    },
  }),
  async (c) => c.json(adminUser(await getUser(c.var.db, c.req.valid("param").id)), 200),
);

adminRoutes.openapi(
  createRoute({
    method: "patch",
    path: "/users/{id}",
    tags,
    security,
    summary: "Change a user's role or status (disabling ends their sessions)",
    request: { params: UserIdParam, body: jsonBody(PatchUserBody) },
    responses: {
      200: jsonContent(AdminUserSchema, "The updated user"),
      ...errorResponses(400, 401, 403, 404, 413, 415),
    },
  }),
  async (c) => {
    const user = await updateUser(
      c.var.db,
      principalOf(c).userId,
      c.req.valid("param").id,
      c.req.valid("json"),
      c.var.now,
    );
    return c.json(adminUser(user), 200);
  },
);

adminRoutes.openapi(
  createRoute({
    method: "get",
    path: "/audit",
    tags,
    security,
    summary: "The audit log of admin actions, newest first",
    request: { query: AuditQuery },
    responses: {
      200: jsonContent(AuditListSchema, "A page of audit entries"),
      ...errorResponses(400, 401, 403),
    },
  }),
  async (c) => c.json(await listAudit(c.var.db, c.req.valid("query")), 200),
);
