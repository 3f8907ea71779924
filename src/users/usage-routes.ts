import { createRoute, z } from "@hono/zod-openapi";
import { requireAuth } from "../auth/middleware";
import { STANDINGS } from "../db/schema";
import { newRouter, principalOf } from "../lib/context";
import { ApiError } from "../lib/errors";
import { bearerSecurity, errorResponses, jsonContent } from "../lib/openapi";
import { UsageSchema, usageOf, windowsView } from "../ratelimit/usage";

const security = bearerSecurity;

/** GET /v1/me/usage — mounted under /v1/me, whose requireAuth covers it. */
export const usageRoutes = newRouter();
usageRoutes.openapi(
  createRoute({
    method: "get",
    path: "/",
    operationId: "me.usage.get",
    tags: ["me"],
    security,
    summary: "Current usage of every window, billing standing, and 30 days of history",
    responses: { 200: jsonContent(UsageSchema, "Usage"), ...errorResponses(403) },
  }),
  async (c) => c.json(await usageOf(c.env, principalOf(c).userId, c.var.now), 200),
);

const PingSchema = z
  .object({
    user_id: z.string(),
    authenticated_with: z.enum(["access_token", "api_key"]),
    api_key_id: z.string().nullable(),
    standing: z.enum(STANDINGS),
    windows: UsageSchema.shape.windows,
  })
  .openapi("Ping");

/**
 * GET /v1/ping — the cheapest authenticated call: checks the credential and reports the limits
 * it just counted against. No D1 query: what an API call behind tollgate costs, and nothing more.
 */
export const pingRoutes = newRouter();
pingRoutes.use("*", requireAuth);
pingRoutes.openapi(
  createRoute({
    method: "get",
    path: "/",
    operationId: "ping.get",
    tags: ["me"],
    security,
    summary: "Check a credential; answers with the limits this request counted against",
    responses: {
      200: jsonContent(PingSchema, "Who you are and where you stand"),
      ...errorResponses(403),
    },
  }),
  (c) => {
    const principal = principalOf(c);
    const limits = c.var.limits;
    if (!limits) throw new ApiError("internal_error");
    return c.json(
      {
        user_id: principal.userId,
        authenticated_with: principal.sessionId ? ("access_token" as const) : ("api_key" as const),
        api_key_id: principal.apiKeyId,
        standing: limits.standing,
        windows: windowsView(limits.windows),
      },
      200,
    );
  },
);
