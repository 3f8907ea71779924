import { and, eq } from "drizzle-orm";
import type { Context, Next } from "hono";
import { createMiddleware } from "hono/factory";
import { users } from "../db/schema";
import { type Message, msg, negotiate } from "../i18n";
import type { AppEnv, Principal } from "../lib/context";
import { sha256Hex } from "../lib/crypto";
import { ApiError } from "../lib/errors";
import { setLocale } from "../lib/middleware";
import { consume, userSubject } from "../ratelimit/client";
import type { Credential } from "../ratelimit/messages";
import { enforce, openWhenSuspended } from "../ratelimit/middleware";
import { apiKeyOwner, looksLikeApiKey } from "./api-key-format";
import { verifyAccessToken } from "./tokens";

const CHALLENGE = 'Bearer realm="tollgate"';
const ADMINS_ONLY = msg("problems.forbidden.admins_only");

function presentedCredential(c: {
  req: { header(name: string): string | undefined };
}): string | null {
  const apiKey = c.req.header("x-api-key");
  if (apiKey) return apiKey.trim();
  const header = c.req.header("authorization");
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1] ?? null;
}

function invalid(detail: Message): ApiError {
  return new ApiError("invalid_token", detail, {
    headers: { "www-authenticate": `${CHALLENGE}, error="invalid_token"` },
  });
}

/**
 * Authenticates (JWT verified in the isolate, or an API key) and consumes the route's cost
 * from the user's RateLimiter object — one RPC, no D1 query. The object also refuses revoked
 * sessions and keys, so logging out or deleting a key takes effect on the very next request.
 */
export const requireAuth = createMiddleware<AppEnv>((c, next) =>
  authenticate(c, next, presentedCredential(c)),
);

/**
 * The same, also taking an access token as `?access_token=` (a header still wins): for the
 * WebSocket stream, which a browser opens without headers. Only there: URLs end up in logs.
 */
export const requireAuthOrQueryToken = createMiddleware<AppEnv>((c, next) =>
  authenticate(c, next, presentedCredential(c) ?? (c.req.query("access_token") || null)),
);

async function authenticate(c: Context<AppEnv>, next: Next, presented: string | null) {
  if (!presented) {
    throw new ApiError("unauthorized", msg("problems.unauthorized.send_credential"), {
      headers: { "www-authenticate": CHALLENGE },
    });
  }
  let principal: Principal;
  let credential: Credential;
  if (looksLikeApiKey(presented)) {
    const owner = await apiKeyOwner(presented, c.var.config.API_KEY_SECRET);
    if (!owner) throw invalid(msg("problems.invalid_token.api_key"));
    principal = { userId: owner, role: "user", sessionId: null, apiKeyId: null, expiresAt: null };
    credential = { kind: "api_key", hash: await sha256Hex(presented) };
  } else {
    const claims = await verifyAccessToken(c.var.config, presented, c.var.now);
    if (!claims) throw invalid(msg("problems.invalid_token.access_token"));
    principal = {
      userId: claims.sub,
      role: claims.role,
      sessionId: claims.sid,
      apiKeyId: null,
      expiresAt: claims.exp * 1000,
    };
    credential = { kind: "session", sid: claims.sid };
  }

  const subject = userSubject(principal.userId);
  const result = await consume(c.env, {
    subject,
    now: c.var.now,
    cost: c.var.cost ?? 1,
    credential,
    allowSuspended: openWhenSuspended(c.req.path),
  });
  if (result.outcome === "account_disabled") throw new ApiError("account_disabled");
  if (result.outcome === "unauthenticated") {
    throw invalid(
      msg(
        credential.kind === "api_key"
          ? "problems.invalid_token.api_key"
          : "problems.invalid_token.session_ended",
      ),
    );
  }
  c.set("principal", { ...principal, apiKeyId: result.keyId });
  // The user's own language, from the object's answer (no D1 query), when Accept-Language
  // names none we have.
  if (result.locale) setLocale(c, negotiate(c.req.header("accept-language"), result.locale));
  await enforce(c, result, next);
}

/**
 * Admin routes: the token must say admin and D1 must still agree, so a demotion or a disabled
 * admin takes effect at once. Admin traffic is rare; the extra query is worth it.
 */
export const requireAdmin = createMiddleware<AppEnv>(async (c, next) => {
  const principal = c.var.principal;
  if (principal?.role !== "admin") throw new ApiError("forbidden", ADMINS_ONLY);
  const admin = await c.var.db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.id, principal.userId), eq(users.role, "admin"), eq(users.status, "active")))
    .get();
  if (!admin) throw new ApiError("forbidden", ADMINS_ONLY);
  await next();
});
