import type { Db } from "../db";
import type { Env } from "../env";
import { loadUserPolicy, type SubjectPolicy } from "../plans/policy";
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
