import type { WindowName } from "../db/plan-features";
import type { Env } from "../env";
import type { ServiceContext } from "../lib/context";
import type { LiveKey, SubjectPolicy } from "../policy/policy";
import { loadUserPolicy } from "../policy/policy";
import type {
  AutoRechargeSettings,
  BucketResult,
  ConsumeRequest,
  ConsumeResult,
  LowBalanceChange,
  LowBalanceThreshold,
  Movement,
  MovementResult,
  WalletBalance,
} from "./messages";

export const userSubject = (userId: string) => `user:${userId}`;
export const ipSubject = (ip: string) => `ip:${ip}`;

function stub(env: Env, subject: string) {
  return env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(subject));
}

/** A changed plan, standing, anchor or account state, in force from the object's next call. */
async function configure(env: Env, userId: string, patch: Partial<SubjectPolicy>, now: number) {
  await stub(env, userSubject(userId)).configure(userSubject(userId), patch, now);
}

// ---- asking -------------------------------------------------------------------------------

/** Authenticates (session or key still live) and counts one request: one RPC. */
export function consume(env: Env, request: ConsumeRequest): Promise<ConsumeResult> {
  return stub(env, request.subject).consume(request);
}

/** Counts uses of a plan's metered quota, exactly. */
export function meter(env: Env, userId: string, feature: string, cost: number, now: number) {
  const subject = userSubject(userId);
  return stub(env, subject).meter(subject, feature, cost, now);
}

/** A named fixed-window bucket (brute-force protection); a negative cost gives back. */
export function hit(
  env: Env,
  subject: string,
  bucket: { name: string; limit: number | null; windowMs: number },
  cost: number,
  now: number,
): Promise<BucketResult> {
  return stub(env, subject).hit(bucket.name, bucket.limit, bucket.windowMs, cost, now);
}

export function usageSnapshot(env: Env, userId: string, now: number, days: number) {
  const subject = userSubject(userId);
  return stub(env, subject).snapshot(subject, now, days);
}

/** Last use of each key, as the object recorded it (D1 learns it hourly). */
export function apiKeyUsage(env: Env, userId: string) {
  return stub(env, userSubject(userId)).keyUsage();
}

/** The user's wallet balances, as the object holds them (the truth; D1 has a copy). */
export function walletBalances(env: Env, userId: string): Promise<WalletBalance[]> {
  return stub(env, userSubject(userId)).walletBalances();
}

/** The user's ledger from the object, newest first; `beforeSeq` pages back. */
export function walletEntries(env: Env, userId: string, limit: number, beforeSeq: number | null) {
  return stub(env, userSubject(userId)).walletEntries(limit, beforeSeq);
}

/**
 * A credit (amount > 0) or debit (amount < 0) of the user's available balance, applied at most
 * once per type and reference (a provider payment id, a refund id, an adjustment id): a repeat
 * answers the first entry. A debit larger than the available balance is refused, writing
 * nothing. Throws on RPC failure: the caller records nothing and retries (a provider event).
 */
export function moveFunds(
  ctx: Pick<ServiceContext, "env" | "now">,
  userId: string,
  movement: Omit<Movement, "memo"> & { memo?: string | null },
): Promise<MovementResult> {
  const subject = userSubject(userId);
  const { money } = movement;
  return stub(ctx.env, subject).moveFunds(
    subject,
    {
      ...movement,
      money: { amount: money.amount, currency: money.currency.toLowerCase() },
      memo: movement.memo ?? null,
    },
    ctx.now,
  );
}

/** The user's auto-recharge settings and the recharge in flight (null: never set). */
export function autoRecharge(env: Env, userId: string) {
  return stub(env, userSubject(userId)).autoRecharge();
}

/** New auto-recharge settings, in force from the next capture. Throws on RPC failure. */
export async function configureAutoRecharge(
  env: Env,
  userId: string,
  settings: AutoRechargeSettings,
): Promise<void> {
  await stub(env, userSubject(userId)).configureAutoRecharge(userSubject(userId), settings);
}

/** The user's low-balance thresholds, after setting (or clearing) one when `change` is given. */
export function lowBalanceThresholds(
  env: Env,
  userId: string,
  change: LowBalanceChange | null = null,
): Promise<LowBalanceThreshold[]> {
  return stub(env, userSubject(userId)).lowBalance(change);
}

/** A recharge was credited or failed, so another may start. Throws on RPC failure. */
export async function settleRecharge(env: Env, userId: string, reference: string) {
  return stub(env, userSubject(userId)).settleRecharge(reference);
}

/** An admin's reset of the user's counters (all windows when none is named). */
export async function resetUsage(env: Env, userId: string, windows?: WindowName[]) {
  await stub(env, userSubject(userId)).reset(windows);
}

// ---- before a commit: throws; the caller writes nothing ------------------------------------

/** A policy change that must hold before D1 records it (an account disabled or deleted). */
export async function pushPolicyBeforeCommit(
  env: Env,
  userId: string,
  patch: Partial<SubjectPolicy>,
  now: number,
): Promise<void> {
  await configure(env, userId, patch, now);
}

/**
 * A new key is known to its owner's object before D1 stores it, so a key that was shown can
 * always be verified. If the D1 write then fails, the object holds a hash nobody was given
 * (harmless) until removeApiKeyBeforeCommit or the reconcile drops it.
 */
export async function addApiKeyBeforeCommit(env: Env, userId: string, key: LiveKey) {
  await stub(env, userSubject(userId)).addApiKey(userSubject(userId), key);
}

/** A revoked key fails on the very next request: the object forgets it before D1 records it. */
export async function removeApiKeyBeforeCommit(env: Env, userId: string, keyHash: string) {
  await stub(env, userSubject(userId)).removeApiKey(keyHash);
}

/** A closed account's saved card is never charged again: auto-recharge is off before D1 says closed. */
export async function stopAutoRechargeBeforeCommit(env: Env, userId: string): Promise<void> {
  const owner = stub(env, userSubject(userId));
  const settings = await owner.autoRecharge();
  if (!settings?.enabled) return;
  const { pending: _pending, ...rest } = settings;
  await owner.configureAutoRecharge(userSubject(userId), { ...rest, enabled: false });
}

// ---- after a commit: never throws; logged, healed by the hourly reconcile -------------------

/** Who pushes after a commit (a service's context); its origin names it in the failure's log line. */
export type Pusher = Pick<ServiceContext, "env" | "config" | "now" | "origin">;

/**
 * Settles a hold: the price leaves the wallet for good. Idempotent by reference (an unknown or
 * settled reference is a no-op). Unlike the pushes below it throws on RPC failure: the caller
 * retries or logs; a hold never settled is released by the object's alarm after HOLD_TTL.
 */
export async function captureHold(ctx: Pusher, userId: string, reference: string): Promise<void> {
  const subject = userSubject(userId);
  await stub(ctx.env, subject).captureHold(subject, reference, ctx.now);
}

/** Whether a hold is still open (neither settled nor expired). Throws on RPC failure. */
export function holdOpen(ctx: Pusher, userId: string, reference: string): Promise<boolean> {
  return stub(ctx.env, userSubject(userId)).holdOpen(reference, ctx.now);
}

/** Gives a hold back to the available balance. Idempotent by reference; throws on RPC failure. */
export async function releaseHold(ctx: Pusher, userId: string, reference: string): Promise<void> {
  const subject = userSubject(userId);
  await stub(ctx.env, subject).releaseHold(subject, reference, ctx.now);
}

function logFailure(pusher: Pusher, what: string, userId: string, error: unknown): void {
  console.error(
    JSON.stringify({
      msg: `limiter push failed: ${what}`,
      origin: pusher.origin ?? "unknown",
      user: userId,
      error: String(error),
    }),
  );
}

/**
 * Re-reads each user's whole policy from D1 (plan, standing, billing anchor, account state) and
 * pushes it: after every change of plan, subscription status or standing, so the change is in
 * force on the next request.
 */
export async function syncPoliciesAfterCommit(
  ctx: Pusher & Pick<ServiceContext, "db">,
  userIds: Iterable<string>,
): Promise<void> {
  for (const userId of new Set(userIds)) {
    try {
      const policy = await loadUserPolicy(ctx.db, userId);
      await configure(ctx.env, userId, policy, ctx.now);
    } catch (error) {
      logFailure(ctx, "policy", userId, error);
    }
  }
}

/**
 * Ended sessions' access tokens stop working at once: the object refuses their ids until the
 * tokens would have expired anyway. A failed push leaves them working until they expire
 * (ACCESS_TOKEN_TTL_SECONDS at most). Called through auth's endSessionsAfterCommit, which also
 * closes the sessions' live streams.
 */
export async function revokeSessionsAfterCommit(
  pusher: Pusher,
  userId: string,
  sessionIds: string[],
): Promise<void> {
  if (sessionIds.length === 0) return;
  const until = pusher.now + pusher.config.ACCESS_TOKEN_TTL_SECONDS * 1000;
  await stub(pusher.env, userSubject(userId))
    .revokeSessions(sessionIds, until)
    .catch((error: unknown) => logFailure(pusher, "sessions", userId, error));
}

/** Keys revoked in D1 (account recovery): the object forgets them; else the reconcile does. */
export async function revokeApiKeysAfterCommit(
  pusher: Pusher,
  userId: string,
  keyHashes: string[],
): Promise<void> {
  const owner = stub(pusher.env, userSubject(userId));
  for (const hash of keyHashes) {
    await owner.removeApiKey(hash).catch((error: unknown) => {
      logFailure(pusher, "api_keys", userId, error);
    });
  }
}
