// Changes at Stripe that take more than one call: downgrades arranged when they are asked for
// (through subscription schedules), and ending a subscription now.
//
// Why a schedule rather than updating the item to the new price with proration_behavior "none":
// an item update changes the price at once. For the rest of a period paid at the old price the
// subscription would then report the cheaper plan (to webhooks, to the proration of a later
// upgrade, to the billing portal), and calling the downgrade off would be a second price change.
// A schedule leaves phase 1 (the current price, until current_period_end) as it is and starts
// phase 2 (the new price) exactly at the renewal: the renewal invoice is the first at the new
// price, the old price is never billed again, and releasing the schedule calls it all off.
import type Stripe from "stripe";
import type { Interval } from "../db/schema";
import { idOf, stripeErrorOf } from "./stripe-api";

type Schedule = Stripe.SubscriptionSchedule;

/** A schedule still steering its subscription (not released, completed or canceled). */
const isLive = (schedule: Schedule): boolean =>
  schedule.status === "active" || schedule.status === "not_started";

/** The phase in force: the one the schedule names as current, else its first. */
function currentPhase(schedule: Schedule): Schedule["phases"][number] {
  const start = schedule.current_phase?.start_date;
  const phase = schedule.phases.find((p) => p.start_date === start) ?? schedule.phases[0];
  if (!phase) throw new Error(`Stripe subscription schedule ${schedule.id} has no phase`);
  return phase;
}

type DiscountParam = Stripe.SubscriptionScheduleUpdateParams.Phase.Discount;

/** A phase's discounts as parameters: the same discount keeps counting its duration. */
function discountParams(phase: Schedule["phases"][number]): DiscountParam[] | undefined {
  const discounts = phase.discounts.flatMap((d): DiscountParam[] => {
    const discount = idOf(d.discount);
    if (discount) return [{ discount }];
    const coupon = idOf(d.coupon);
    return coupon ? [{ coupon }] : [];
  });
  return discounts.length > 0 ? discounts : undefined;
}

/**
 * Puts the subscription on the new price from its next renewal: phase 1 restates the phase in
 * force (its items, dates, trial and discounts, so nothing about the current period changes),
 * phase 2 is one interval of the new price, after which the schedule releases the subscription
 * and it renews on that price. Reuses the subscription's schedule when tollgate made one before
 * (a second downgrade replaces the first). Answers the schedule's id.
 */
export async function scheduleDowngrade(
  stripe: Stripe,
  args: {
    subscriptionId: string;
    scheduleId: string | null;
    price: string;
    interval: Interval;
    metadata: Record<string, string>;
  },
): Promise<string> {
  const existing = args.scheduleId
    ? await stripe.subscriptionSchedules.retrieve(args.scheduleId)
    : null;
  const schedule =
    existing && isLive(existing)
      ? existing
      : await stripe.subscriptionSchedules.create({ from_subscription: args.subscriptionId });
  const current = currentPhase(schedule);
  const discounts = discountParams(current);
  const items = current.items.flatMap((item) => {
    const price = idOf(item.price);
    return price ? [{ price, quantity: item.quantity ?? 1 }] : [];
  });
  await stripe.subscriptionSchedules.update(schedule.id, {
    end_behavior: "release",
    // Restating the current phase must never bill or credit anything now.
    proration_behavior: "none",
    phases: [
      {
        items,
        start_date: current.start_date,
        end_date: current.end_date,
        ...(current.trial_end ? { trial_end: current.trial_end } : {}),
        ...(discounts ? { discounts } : {}),
      },
      {
        items: [{ price: args.price, quantity: 1 }],
        duration: { interval: args.interval, interval_count: 1 },
        proration_behavior: "none",
        metadata: args.metadata,
        ...(discounts ? { discounts } : {}),
      },
    ],
  });
  return schedule.id;
}

/**
 * Releases the schedule: the subscription stays as it is now (its current price) and is no
 * longer steered by phases. One that no longer steers it (released or completed) is left alone.
 */
export async function releaseSchedule(stripe: Stripe, scheduleId: string): Promise<void> {
  const schedule = await stripe.subscriptionSchedules.retrieve(scheduleId);
  if (isLive(schedule)) await stripe.subscriptionSchedules.release(scheduleId);
}

/** Ends the subscription now. One Stripe no longer has, or has canceled already, bills nobody. */
export async function cancelNow(
  stripe: Stripe,
  subscriptionId: string,
  details: Stripe.SubscriptionCancelParams,
): Promise<void> {
  try {
    await stripe.subscriptions.cancel(subscriptionId, details);
  } catch (error) {
    if (stripeErrorOf(error)?.code === "resource_missing") return;
    throw error;
  }
}
