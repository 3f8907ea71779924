import { and, eq } from "drizzle-orm";
import { createMiddleware } from "hono/factory";
import { users } from "../db/schema";
import type { AppEnv } from "../lib/context";
import { ApiError } from "../lib/errors";
import { verifyAccessToken } from "./tokens";

function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

/** Verifies the access token in the isolate (no D1 query) and sets the principal. */
export const requireAuth = createMiddleware<AppEnv>(async (c, next) => {
  const token = bearerToken(c.req.header("authorization"));
  if (!token) {
    throw new ApiError("unauthorized", "Send an access token as 'Authorization: Bearer <token>'", {
      headers: { "www-authenticate": 'Bearer realm="tollgate"' },
    });
  }
  const claims = await verifyAccessToken(c.var.config, token, c.var.now);
  if (!claims) {
    throw new ApiError("invalid_token", undefined, {
      headers: { "www-authenticate": 'Bearer realm="tollgate", error="invalid_token"' },
    });
  }
  c.set("principal", { userId: claims.sub, role: claims.role, sessionId: claims.sid });
  await next();
});

/**
 * Admin routes: the token must say admin and D1 must still agree, so a demotion or a disabled
 * admin takes effect at once. Admin traffic is rare; the extra query is worth it.
 */
export const requireAdmin = createMiddleware<AppEnv>(async (c, next) => {
  const principal = c.var.principal;
  if (principal?.role !== "admin") throw new ApiError("forbidden", "Admins only");
  const admin = await c.var.db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.id, principal.userId), eq(users.role, "admin"), eq(users.status, "active")))
    .get();
  if (!admin) throw new ApiError("forbidden", "Admins only");
  await next();
});
