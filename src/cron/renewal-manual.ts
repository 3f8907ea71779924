// Manual subscriptions (granted by an admin, no payment): at the boundary the period rolls
// forward, a scheduled downgrade is applied and a trial becomes active.
import { type Interval, type Plan, type Subscription, subscriptions } from "../db/schema";
import type { ServiceContext } from "../lib/context";
import { DAY } from "../lib/time";
import { addMonthsOnDay } from "../lib/windows";
import { anchorDayOf } from "../policy/anchor";
import { scheduledPlan } from "./renewal-downgrade";
import { unchanged, type Work } from "./renewal-work";

const s = subscriptions;

/**
 * The period of `interval` that holds `now`, counted from `anchor` (whole intervals on), its
 * boundaries on `day` of their month (clamped to shorter months; by default the anchor's day).
 */
export function rollForward(
  anchor: number,
  interval: Interval,
  now: number,
  day = new Date(anchor).getUTCDate(),
): { start: number; end: number } {
  const step = interval === "year" ? 12 : 1;
  const at = (k: number) => (k === 0 ? anchor : addMonthsOnDay(anchor, step * k, day));
  // A first guess from the elapsed time, then exact steps (months differ in length).
  let k = Math.max(1, Math.floor((now - anchor) / (step * 31 * DAY)));
  while (k > 1 && at(k - 1) > now) k--;
  while (at(k) <= now) k++;
  return { start: at(k - 1), end: at(k) };
}

/** Manual: the scheduled plan, the period rolled forward past now, a trial made active. */
export async function renewManual(
  { db, now }: ServiceContext,
  sub: Subscription,
  work: Extract<Work, { kind: "manual" }>,
): Promise<{ downgradedTo: Plan | null; period: { start: number; end: number } | null } | null> {
  const target = work.downgrade ? await scheduledPlan(db, sub) : null;
  const interval = target ? (sub.scheduledInterval ?? sub.interval) : sub.interval;
  // A trial that ends starts the paid periods: they renew on the day it ended.
  const day = sub.status === "trialing" ? new Date(work.boundary).getUTCDate() : anchorDayOf(sub);
  const period = work.roll ? rollForward(work.boundary, interval, now, day ?? undefined) : null;
  const [updated] = await db.batch([
    db
      .update(s)
      .set({
        ...(target
          ? { planId: target.id, interval, scheduledPlanId: null, scheduledInterval: null }
          : {}),
        ...(period
          ? {
              status: "active",
              currentPeriodStart: period.start,
              currentPeriodEnd: period.end,
              billingAnchorDay: day,
            }
          : {}),
        updatedAt: now,
      })
      .where(unchanged(sub))
      .returning({ id: s.id }),
  ]);
  return updated.length > 0 ? { downgradedTo: target, period } : null;
}
