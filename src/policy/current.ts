import { and, desc, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../db";
import { type Plan, plans, type Subscription, subscriptions } from "../db/schema";

/** Statuses in which a subscription is the user's current one. */
export const LIVE_STATUSES = ["incomplete", "trialing", "active", "past_due", "paused"] as const;
/** Statuses in which the subscription's plan applies (an incomplete checkout grants nothing). */
export const ENTITLED_STATUSES = ["trialing", "active", "past_due"] as const;
/** Statuses of a subscription that is under way at the provider (a checkout not yet done is not). */
export const RUNNING_STATUSES = [...ENTITLED_STATUSES, "paused"] as const;

/**
 * The user's current subscription: the newest one that has not ended, preferring one that
 * entitles (a checkout abandoned and later completed at the provider must not be hidden by a
 * newer, still incomplete one).
 */
export async function currentSubscription(db: Db, userId: string): Promise<Subscription | null> {
  const row = await db
    .select()
    .from(subscriptions)
    .where(and(eq(subscriptions.userId, userId), inArray(subscriptions.status, [...LIVE_STATUSES])))
    .orderBy(
      desc(sql`${subscriptions.status} in ('trialing', 'active', 'past_due')`),
      desc(subscriptions.createdAt),
      desc(subscriptions.id),
    )
    .limit(1)
    .get();
  return row ?? null;
}

export function isEntitled(subscription: Subscription | null): subscription is Subscription {
  return (
    subscription !== null && (ENTITLED_STATUSES as readonly string[]).includes(subscription.status)
  );
}

export async function planById(db: Db, planId: string): Promise<Plan | null> {
  return (await db.query.plans.findFirst({ where: eq(plans.id, planId) })) ?? null;
}
