// A provider subscription whose renewal event has not come RENEWAL_RESYNC_HOURS after its period
// (or trial) end is re-synced from the provider, which decides: renewed, past due, expired…
import type { Subscription } from "../db/schema";
import type { ServiceContext } from "../lib/context";
import type { PaidProvider, ProviderSubscriptionState } from "../payments/provider";
import { providerFor } from "../payments/providers";
import { applyStateStatement, planForProviderPrice } from "../subscriptions/sync";

/**
 * A provider's report, fetched now, as the state to apply. It is newer than anything applied
 * before it was fetched, so it is stamped at least `now` (PayPal stamps the last status change,
 * which can be older than the event that told us about it). PayPal knows nothing of trials or
 * cancellations at the period end (those are ours) and leaves the period out once ended.
 */
export function fetchedState(
  sub: Subscription,
  fetched: ProviderSubscriptionState,
  now: number,
): ProviderSubscriptionState {
  const state: ProviderSubscriptionState = {
    ...fetched,
    currentPeriodStart: fetched.currentPeriodStart ?? sub.currentPeriodStart,
    currentPeriodEnd: fetched.currentPeriodEnd ?? sub.currentPeriodEnd,
    stateAt: Math.max(fetched.stateAt, sub.providerStateAt, now),
  };
  if (sub.provider !== "paypal") return state;
  const ended = fetched.status === "canceled" || fetched.status === "expired";
  return {
    ...state,
    trialEnd: sub.trialEnd,
    cancelAtPeriodEnd: ended ? false : sub.cancelAtPeriodEnd,
    canceledAt:
      fetched.status === "canceled"
        ? (sub.canceledAt ?? fetched.canceledAt ?? now)
        : sub.cancelAtPeriodEnd
          ? sub.canceledAt
          : null,
  };
}

/**
 * No renewal event came: ask the provider and apply what it says. Answers the provider's status,
 * or null when there was nothing to apply.
 */
export async function resync(
  { db, config, now }: ServiceContext,
  sub: Subscription & { provider: PaidProvider },
) {
  if (!sub.providerSubscriptionId) return null;
  const fetched = await providerFor(sub.provider, config).fetchSubscription(
    sub.providerSubscriptionId,
  );
  const mapped = await planForProviderPrice(db, sub.provider, fetched.providerPriceId);
  const [result] = await db.batch([
    applyStateStatement(db, sub, fetchedState(sub, fetched, now), mapped, now),
  ]);
  const changes = (result as { meta?: { changes?: number } } | undefined)?.meta?.changes;
  return changes === 0 ? null : fetched.status;
}
