import { and, eq, gt, isNull, or } from "drizzle-orm";
import type { Db } from "../db";
import { apiKeys, type Plan, plans, users } from "../db/schema";
import type { Limits } from "../ratelimit/windows";
import { DEFAULT_MAX_API_KEYS, type PlanFeatures } from "./features";

/** How a subscriber stands with billing; the rate limiter enforces it. */
export type Standing = "good" | "past_due" | "restricted" | "suspended";

/** Everything a user's RateLimiter object needs to decide a request without asking D1. */
export interface SubjectPolicy {
  planCode: string;
  limits: Limits;
  /** The free plan's limits: what applies while the standing is `restricted`. */
  freeLimits: Limits;
  features: PlanFeatures;
  standing: Standing;
  /** Start of a billing period: the month window resets on it. Null: calendar months. */
  billingAnchor: number | null;
  /** False once the account is disabled or deleted: no credential of it is accepted. */
  accountActive: boolean;
}

export function limitsOf(plan: Plan): Limits {
  return {
    minute: plan.limitMinute,
    hour: plan.limitHour,
    day: plan.limitDay,
    month: plan.limitMonth,
  };
}

export function maxApiKeys(features: PlanFeatures): number {
  return features.max_api_keys ?? DEFAULT_MAX_API_KEYS;
}

export async function freePlan(db: Db): Promise<Plan> {
  const free = await db.query.plans.findFirst({ where: eq(plans.code, "free") });
  if (!free) throw new Error("the free plan is missing: apply the migrations");
  return free;
}

/** The plan a user is on. Until billing exists, everyone is on the free plan. */
export async function planForUser(db: Db, _userId: string): Promise<Plan> {
  return freePlan(db);
}

export async function accountIsActive(db: Db, userId: string): Promise<boolean> {
  const user = await db
    .select({ status: users.status })
    .from(users)
    .where(eq(users.id, userId))
    .get();
  return user?.status === "active";
}

export async function loadUserPolicy(db: Db, userId: string): Promise<SubjectPolicy> {
  const [plan, free, accountActive] = await Promise.all([
    planForUser(db, userId),
    freePlan(db),
    accountIsActive(db, userId),
  ]);
  return {
    accountActive,
    planCode: plan.code,
    limits: limitsOf(plan),
    freeLimits: limitsOf(free),
    features: plan.features,
    standing: "good",
    billingAnchor: null,
  };
}

export interface LiveKey {
  id: string;
  hash: string;
  expiresAt: number | null;
}

/** The user's keys that still work, for the RateLimiter object to hold. */
export async function liveApiKeys(db: Db, userId: string, now: number): Promise<LiveKey[]> {
  return db
    .select({ id: apiKeys.id, hash: apiKeys.keyHash, expiresAt: apiKeys.expiresAt })
    .from(apiKeys)
    .where(
      and(
        eq(apiKeys.userId, userId),
        isNull(apiKeys.revokedAt),
        or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now)),
      ),
    );
}
