// Deleting an account stops its billing first: a deleted user must never be charged again.
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { type Subscription, subscriptions } from "../db/schema";
import type { ServiceContext } from "../lib/context";
import { providerFor } from "../payments/providers";
import { LIVE_STATUSES } from "../policy/current";
import { syncPoliciesAfterCommit } from "../ratelimit/client";

/** Told to the provider with each cancellation (PayPal shows it to the buyer). */
const REASON = "Account deleted";

/**
 * Ends every live subscription of the user now, for the deletion of their account. A provider
 * subscription is canceled at the provider at once (not at the period end) and recorded here as
 * soon as the provider confirms; an unfinished checkout expires; a manual one is canceled. Fails
 * closed: a provider that refuses or cannot be reached stops it with its 502 (503 when the
 * provider is not configured), so the caller deletes nothing and what was not canceled stays
 * live. Cancellations confirmed before the failure stay recorded: they did happen.
 */
export async function endSubscriptionsForDeletion(
  ctx: ServiceContext,
  userId: string,
): Promise<void> {
  const { db, config, now } = ctx;
  const live = await db
    .select()
    .from(subscriptions)
    .where(and(eq(subscriptions.userId, userId), inArray(subscriptions.status, [...LIVE_STATUSES])))
    .orderBy(asc(subscriptions.createdAt), asc(subscriptions.id));
  let ended = 0;
  try {
    for (const subscription of live) {
      if (subscription.provider !== "manual" && subscription.providerSubscriptionId) {
        await providerFor(subscription.provider, config).cancel(subscription, {
          atPeriodEnd: false,
          reason: REASON,
        });
      }
      await db
        .update(subscriptions)
        .set(endedNow(subscription, now, "account_deleted"))
        .where(
          and(
            eq(subscriptions.id, subscription.id),
            inArray(subscriptions.status, [...LIVE_STATUSES]),
          ),
        );
      ended++;
    }
  } catch (error) {
    // The account stays, with fewer subscriptions than it had: its limits follow at once.
    if (ended > 0) await syncPoliciesAfterCommit(ctx, [userId]);
    throw error;
  }
}

/**
 * The record of a subscription ended now: an unfinished checkout expires, the rest are canceled;
 * nothing is scheduled any more, and a provider event older than now never revives it.
 */
export function endedNow(subscription: Subscription, now: number, reason: string | null) {
  const checkout = subscription.status === "incomplete";
  return {
    status: checkout ? ("expired" as const) : ("canceled" as const),
    canceledAt: checkout ? subscription.canceledAt : now,
    endedAt: now,
    cancelAtPeriodEnd: false,
    cancelReason: reason,
    standing: "good" as const,
    pastDueSince: null,
    scheduledPlanId: null,
    scheduledInterval: null,
    providerScheduleId: null,
    // A provider event older than this cancellation, delivered late, never revives it.
    providerStateAt: sql`max(${subscriptions.providerStateAt}, ${now})`,
    updatedAt: now,
  };
}
