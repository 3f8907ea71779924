import type { Context } from "hono";
import type { ClientMeta, SessionsEnded } from "../auth/sessions";
import { forgetSessions } from "../ratelimit/client";
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

/** Ended sessions' access tokens stop working at once: the user's RateLimiter is told. */
export function sessionsEnded(c: Context<AppEnv>): SessionsEnded {
  return (userId, sessionIds) =>
    forgetSessions(c.env, userId, sessionIds, c.var.now, c.var.config.ACCESS_TOKEN_TTL_SECONDS);
}
