import { and, eq, gt, isNull, or } from "drizzle-orm";
import type { Db } from "../db";
import { DEFAULT_MAX_API_KEYS, type PlanFeatures } from "../db/plan-features";
import { apiKeys, type Plan, plans, type Standing, users } from "../db/schema";
import { isLocale, type Locale } from "../i18n";
import type { Limits } from "../lib/windows";
import { billingAnchorOf } from "./anchor";
import { currentSubscription, isEntitled, planById } from "./current";

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
  /** The user's language, for answers to requests without Accept-Language (null: not chosen). */
  locale: Locale | null;
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
  const cap = features.max_api_keys;
  return typeof cap === "number" ? cap : DEFAULT_MAX_API_KEYS;
}

export async function freePlan(db: Db): Promise<Plan> {
  const free = await db.query.plans.findFirst({ where: eq(plans.code, "free") });
  if (!free) throw new Error("the free plan is missing: apply the migrations");
  return free;
}

/** The plan a user is on: their subscription's while it entitles them, else the free plan. */
export async function planForUser(db: Db, userId: string): Promise<Plan> {
  const subscription = await currentSubscription(db, userId);
  if (isEntitled(subscription)) {
    const plan = await planById(db, subscription.planId);
    if (plan) return plan;
  }
  return freePlan(db);
}

/** Whether the account may be used, and the language it chose. */
async function account(
  db: Db,
  userId: string,
): Promise<{ active: boolean; locale: Locale | null }> {
  const user = await db
    .select({ status: users.status, locale: users.locale })
    .from(users)
    .where(eq(users.id, userId))
    .get();
  return { active: user?.status === "active", locale: isLocale(user?.locale) ? user.locale : null };
}

/** Everything the user's RateLimiter needs, from D1: the source of truth it is synced from. */
export async function loadUserPolicy(db: Db, userId: string): Promise<SubjectPolicy> {
  const [subscription, free, { active: accountActive, locale }] = await Promise.all([
    currentSubscription(db, userId),
    freePlan(db),
    account(db, userId),
  ]);
  const entitled = isEntitled(subscription);
  const plan = (entitled && (await planById(db, subscription.planId))) || free;
  return {
    accountActive,
    planCode: plan.code,
    limits: limitsOf(plan),
    freeLimits: limitsOf(free),
    features: plan.features,
    standing: entitled ? subscription.standing : "good",
    // The month window follows the billing period while there is one.
    billingAnchor: entitled ? billingAnchorOf(subscription) : null,
    locale,
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
