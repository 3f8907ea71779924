// A downgrade waits for the period end, but is arranged at the provider when it is asked for.
//
// Asked for at the renewal instead, it would come after the provider had billed the next period
// at the old price (Stripe invoices at the period end; PayPal bills a revision only from the
// cycle after it). So the provider gets it now — Stripe as a subscription schedule whose next
// phase is the new price, PayPal as a plan revision — while tollgate keeps the plan in force, and
// with it the limiter's limits, until the period end. Then the provider's renewal event, or the
// renewals job, moves the subscription to the new plan (src/subscriptions/sync.ts,
// src/cron/renewal-downgrade.ts). Manual subscriptions have no provider: the renewals job applies
// theirs (src/cron/renewal-manual.ts).
import { eq } from "drizzle-orm";
import { type Interval, type Plan, type Subscription, subscriptions } from "../db/schema";
import type { ServiceContext } from "../lib/context";
import { notFound } from "../lib/errors";
import { providerFor } from "../payments/providers";
import { planById } from "../policy/current";

/** What arranging a change needs: no bindings (the limiter is not told until it applies). */
export type ScheduleContext = Pick<ServiceContext, "db" | "config" | "now">;

/**
 * Schedules the change to `plan` for the period end: at the provider first (a refusal is a 502
 * and nothing is recorded), then here. A second downgrade replaces the first. Answers PayPal's
 * approval URL: the buyer must consent to the revision before PayPal bills the new price.
 */
export async function scheduleDowngrade(
  { db, config, now }: ScheduleContext,
  subscription: Subscription,
  { plan, interval }: { plan: Plan; interval: Interval },
): Promise<{ approvalUrl: string | null }> {
  let scheduleId = subscription.providerScheduleId;
  let approvalUrl: string | null = null;
  if (subscription.provider !== "manual") {
    const arranged = await providerFor(subscription.provider, config).scheduleChange(subscription, {
      plan,
      interval,
      prorate: false,
    });
    scheduleId = arranged.scheduleId ?? scheduleId;
    approvalUrl = arranged.approvalUrl ?? null;
  }
  await db
    .update(subscriptions)
    .set({
      scheduledPlanId: plan.id,
      scheduledInterval: interval,
      providerScheduleId: scheduleId,
      updatedAt: now,
    })
    .where(eq(subscriptions.id, subscription.id));
  return { approvalUrl };
}

/**
 * Calls the scheduled change off: the provider is told first (Stripe releases the schedule,
 * PayPal is asked to revise back to the current plan, which needs the buyer's approval again),
 * then the change is no longer recorded. Answers PayPal's approval URL.
 */
export async function cancelScheduledChange(
  { db, config, now }: ScheduleContext,
  subscription: Subscription,
): Promise<{ approvalUrl: string | null }> {
  let approvalUrl: string | null = null;
  if (subscription.provider !== "manual") {
    const current = await planById(db, subscription.planId);
    if (!current) throw notFound("Plan");
    const answer = await providerFor(subscription.provider, config).unscheduleChange(subscription, {
      plan: current,
      interval: subscription.interval,
      prorate: false,
    });
    approvalUrl = answer.approvalUrl ?? null;
  }
  await db
    .update(subscriptions)
    .set({
      scheduledPlanId: null,
      scheduledInterval: null,
      providerScheduleId: null,
      updatedAt: now,
    })
    .where(eq(subscriptions.id, subscription.id));
  return { approvalUrl };
}

/**
 * Before a subscription is upgraded or canceled, its scheduled change goes. A Stripe schedule is
 * released first (while one steers a subscription Stripe refuses to set how it ends, and its
 * next phase would undo an upgrade). PayPal keeps no such object: the revision or cancellation
 * that follows supersedes the pending one, so only the record here is cleared.
 */
export async function supersedeScheduledChange(
  context: ScheduleContext,
  subscription: Subscription,
): Promise<void> {
  if (subscription.providerScheduleId) {
    await cancelScheduledChange(context, subscription);
  } else if (subscription.scheduledPlanId) {
    await context.db
      .update(subscriptions)
      .set({ scheduledPlanId: null, scheduledInterval: null, updatedAt: context.now })
      .where(eq(subscriptions.id, subscription.id));
  }
}
