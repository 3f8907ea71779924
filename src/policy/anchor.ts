// The billing anchor: the day of the month a subscription's periods renew on. Periods are
// counted on that day, clamped to shorter months, so a subscription that started on the 31st
// renews Jan 31 → Feb 28 → Mar 31 instead of drifting to the 28th for good.
import type { Subscription } from "../db/schema";
import { MONTHS_PER } from "../lib/money";
import { addMonths, anchorOnDay } from "../lib/windows";

const dayOf = (ms: number): number => new Date(ms).getUTCDate();

type Periodic = Pick<
  Subscription,
  "billingAnchorDay" | "currentPeriodStart" | "currentPeriodEnd" | "interval"
>;

/**
 * The day the subscription renews on. A stored day wins; without one it is read off the current
 * period: its start's day when the period is one whole interval counted from its start (Jan 31 →
 * Feb 28 renews on the 31st: only its end was clamped), else its end's day.
 */
export function anchorDayOf(subscription: Periodic): number | null {
  if (subscription.billingAnchorDay !== null) return subscription.billingAnchorDay;
  const { currentPeriodStart: start, currentPeriodEnd: end } = subscription;
  if (end === null) return start === null ? null : dayOf(start);
  if (start !== null && addMonths(start, MONTHS_PER[subscription.interval]) === end) {
    return dayOf(start);
  }
  return dayOf(end);
}

/**
 * Where the limiter's month windows are counted from: the period start, moved back onto the
 * stored anchor day when the start was clamped (Feb 28 on the 31st counts from Jan 31, so the
 * window ends on Mar 31 with the period). Without a stored day it is the period start, as the
 * provider's own periods are (Stripe and PayPal keep their anchors themselves).
 */
export function billingAnchorOf(subscription: Periodic): number | null {
  const start = subscription.currentPeriodStart;
  if (start === null) return null;
  return subscription.billingAnchorDay === null
    ? start
    : anchorOnDay(start, subscription.billingAnchorDay);
}
