// Canceling a subscription (now, or at the period end) and taking a pending cancellation back.
import { eq } from "drizzle-orm";
import { subscriptions } from "../db/schema";
import { msg } from "../i18n";
import type { ServiceContext } from "../lib/context";
import { ApiError } from "../lib/errors";
import { providerFor } from "../payments/providers";
import { syncPoliciesAfterCommit } from "../ratelimit/client";
import { endedNow } from "./account-closure";
import * as scheduled from "./scheduled-change";
import { entitledSubscription } from "./view";

export interface CancelInput {
  at_period_end: boolean;
  reason?: string | undefined;
}

/**
 * Cancels at the provider first, then here: at the period end (the renewals job ends it then) or
 * now (the limiter is re-synced at once).
 */
export async function cancel(ctx: ServiceContext, userId: string, input: CancelInput) {
  const { db, config, now } = ctx;
  const subscription = await entitledSubscription(ctx, userId);
  // A scheduled downgrade goes with the subscription.
  await scheduled.supersedeScheduledChange(ctx, subscription);
  if (subscription.provider !== "manual") {
    await providerFor(subscription.provider, config).cancel(subscription, {
      atPeriodEnd: input.at_period_end,
      ...(input.reason ? { reason: input.reason } : {}),
    });
  }
  const changes = input.at_period_end
    ? { cancelAtPeriodEnd: true, cancelReason: input.reason ?? null }
    : endedNow(subscription, now, input.reason ?? null);
  await db
    .update(subscriptions)
    .set({ ...changes, updatedAt: now })
    .where(eq(subscriptions.id, subscription.id));
  if (!input.at_period_end) {
    await syncPoliciesAfterCommit(ctx, [userId]);
  }
  return (
    (await db.query.subscriptions.findFirst({ where: eq(subscriptions.id, subscription.id) })) ??
    subscription
  );
}

/** Takes back a cancellation pending for the period end. */
export async function resume(ctx: ServiceContext, userId: string) {
  const { db, config, now } = ctx;
  const subscription = await entitledSubscription(ctx, userId);
  if (!subscription.cancelAtPeriodEnd)
    throw new ApiError("conflict", msg("problems.conflict.no_pending_cancellation"));
  if (subscription.provider !== "manual")
    await providerFor(subscription.provider, config).resume(subscription);
  await db
    .update(subscriptions)
    .set({ cancelAtPeriodEnd: false, cancelReason: null, updatedAt: now })
    .where(eq(subscriptions.id, subscription.id));
  return { ...subscription, cancelAtPeriodEnd: false, cancelReason: null };
}
