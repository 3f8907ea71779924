import type { Context } from "hono";
import type { Db } from "../db";
import type { Env } from "../env";
import type { AppEnv } from "../lib/context";
import { loadUserPolicy, type SubjectPolicy } from "../policy/policy";
import type { RateLimiter } from "./durable-object";

export const userSubject = (userId: string) => `user:${userId}`;
export const ipSubject = (ip: string) => `ip:${ip}`;

export function limiter(env: Env, subject: string): DurableObjectStub<RateLimiter> {
  return env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(subject));
}

/**
 * Access tokens of ended sessions stop working on the next request: the user's object refuses
 * their session ids until the tokens would have expired anyway.
 */
export async function forgetSessions(
  env: Env,
  userId: string,
  sessionIds: string[],
  now: number,
  accessTokenTtlSeconds: number,
): Promise<void> {
  if (sessionIds.length === 0) return;
  await limiter(env, userSubject(userId)).revokeSessions(
    sessionIds,
    now + accessTokenTtlSeconds * 1000,
  );
}

export async function forgetApiKeys(env: Env, userId: string, keyHashes: string[]): Promise<void> {
  const stub = limiter(env, userSubject(userId));
  for (const hash of keyHashes) await stub.removeApiKey(hash);
}

/** Pushes a changed plan, standing or billing anchor; it applies from the next request on. */
export async function pushPolicy(
  env: Env,
  userId: string,
  patch: Partial<SubjectPolicy>,
  now: number,
): Promise<void> {
  await limiter(env, userSubject(userId)).configure(userSubject(userId), patch, now);
}

/**
 * Re-reads the user's whole policy from D1 (plan, standing, billing anchor, account state) and
 * pushes it: called after every change of plan, subscription status or standing, so the change
 * is in force on the next request.
 */
export async function syncLimiter(env: Env, db: Db, userId: string, now: number): Promise<void> {
  await pushPolicy(env, userId, await loadUserPolicy(db, userId), now);
}

/** Pushes each user's policy to their limiter after a commit; a failure is logged, not thrown. */
export async function syncLimiters(
  env: Env,
  db: Db,
  job: string,
  userIds: Iterable<string>,
  now: number,
): Promise<void> {
  for (const userId of new Set(userIds)) {
    await syncLimiter(env, db, userId, now).catch((error: unknown) =>
      console.error(
        JSON.stringify({ msg: "limiter sync failed", job, userId, error: String(error) }),
      ),
    );
  }
}

/** Told which sessions ended, after the D1 change that ended them. */
export type SessionsEnded = (userId: string, sessionIds: string[]) => Promise<void>;
/** Told which API keys were revoked, after the D1 change that revoked them. */
export type ApiKeysRevoked = (userId: string, keyHashes: string[]) => Promise<void>;

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
