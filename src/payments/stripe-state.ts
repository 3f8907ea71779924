// A Stripe subscription as tollgate reads it (from the API and from webhooks) and its
// provider-neutral state.
import type { SubscriptionStatus } from "../db/schema";
import type { ProviderSubscriptionState } from "./provider";
import { idOf } from "./stripe-api";

/** Our status for Stripe's. */
export function mapStripeStatus(status: string): SubscriptionStatus {
  switch (status) {
    case "trialing":
    case "active":
    case "past_due":
    case "canceled":
    case "incomplete":
    case "paused":
      return status;
    case "unpaid":
      return "past_due";
    case "incomplete_expired":
      return "expired";
    default:
      // An unknown status grants nothing until a known one arrives.
      return "incomplete";
  }
}

/**
 * The fields of a Stripe subscription tollgate reads. Older API versions put the period on the
 * subscription, newer ones on each item: both are accepted.
 */
export interface StripeSubscriptionLike {
  id: string;
  status: string;
  customer: string | { id: string } | null;
  metadata?: Record<string, string> | null;
  items?: {
    data: Array<{
      id: string;
      price?: string | { id: string } | null;
      current_period_start?: number | null;
      current_period_end?: number | null;
    }>;
  } | null;
  current_period_start?: number | null;
  current_period_end?: number | null;
  trial_end?: number | null;
  cancel_at?: number | null;
  cancel_at_period_end?: boolean | null;
  canceled_at?: number | null;
}

const ms = (seconds: number | null | undefined): number | null =>
  typeof seconds === "number" ? seconds * 1000 : null;

/** A Stripe subscription as tollgate's provider-neutral state, stamped with `stateAt` (ms). */
export function subscriptionState(
  subscription: StripeSubscriptionLike,
  stateAt: number,
): ProviderSubscriptionState {
  const item = subscription.items?.data[0];
  const currentPeriodStart = ms(item?.current_period_start ?? subscription.current_period_start);
  const currentPeriodEnd = ms(item?.current_period_end ?? subscription.current_period_end);
  const cancelAt = ms(subscription.cancel_at);
  return {
    providerSubscriptionId: subscription.id,
    status: mapStripeStatus(subscription.status),
    providerPriceId: idOf(item?.price),
    currentPeriodStart,
    currentPeriodEnd,
    trialEnd: ms(subscription.trial_end),
    // Newer dashboards and the billing portal schedule the end with cancel_at instead.
    cancelAtPeriodEnd:
      subscription.cancel_at_period_end === true ||
      (cancelAt !== null && currentPeriodEnd !== null && cancelAt <= currentPeriodEnd),
    canceledAt: ms(subscription.canceled_at),
    stateAt,
  };
}
