import type { Context } from "hono";
import type { ApiKeysRevoked } from "../auth/service";
import type { ClientMeta, SessionsEnded } from "../auth/sessions";
import { forgetApiKeys, forgetSessions } from "../ratelimit/client";
import type { AppEnv } from "./context";

export function clientMeta(c: Context<AppEnv>): ClientMeta {
  return {
    userAgent: c.req.header("user-agent") ?? null,
    ip: c.req.header("cf-connecting-ip") ?? null,
  };
}

/** Work that must finish but must not delay the answer (queue sends, timing-sensitive paths). */
export function afterResponse(c: Context<AppEnv>, label: string, work: Promise<unknown>): void {
  const guarded = work.catch((error: unknown) => {
    console.error(
      JSON.stringify({ msg: `${label} failed`, request_id: c.var.requestId, error: String(error) }),
    );
  });
  c.executionCtx.waitUntil(guarded);
}

/**
 * Ended sessions' access tokens stop working at once: the user's RateLimiter is told. The D1
 * change is already committed, so a failed push is logged, not answered with a 500: those
 * tokens then die when they expire (15 minutes at most).
 */
export function sessionsEnded(c: Context<AppEnv>): SessionsEnded {
  return (userId, sessionIds) =>
    forgetSessions(
      c.env,
      userId,
      sessionIds,
      c.var.now,
      c.var.config.ACCESS_TOKEN_TTL_SECONDS,
    ).catch((error: unknown) => logPushFailure(c, "sessions", userId, error));
}

/** Revoked API keys fail on the next request; a failed push is healed by the hourly reconcile. */
export function apiKeysRevoked(c: Context<AppEnv>): ApiKeysRevoked {
  return (userId, hashes) =>
    forgetApiKeys(c.env, userId, hashes).catch((error: unknown) =>
      logPushFailure(c, "api_keys", userId, error),
    );
}

function logPushFailure(c: Context<AppEnv>, what: string, userId: string, error: unknown): void {
  console.error(
    JSON.stringify({
      msg: `limiter push failed: ${what}`,
      request_id: c.var.requestId,
      user: userId,
      error: String(error),
    }),
  );
}
