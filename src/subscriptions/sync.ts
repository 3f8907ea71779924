// Shared by the Stripe and PayPal event handlers: how a provider's report changes our records.
import { and, eq, lte, or, type SQL, sql } from "drizzle-orm";
import type { Db, Statement } from "../db";
import {
  type Interval,
  type Plan,
  payments,
  plans,
  type Subscription,
  type SubscriptionStatus,
  subscriptions,
} from "../db/schema";
import { newId } from "../lib/ids";
import type { PaidProvider, ProviderSubscriptionState } from "../payments/provider";

export async function findSubscription(
  db: Db,
  by: { provider: PaidProvider; providerSubscriptionId?: string | null; id?: string | null },
): Promise<Subscription | null> {
  if (by.providerSubscriptionId) {
    const row = await db.query.subscriptions.findFirst({
      where: and(
        eq(subscriptions.provider, by.provider),
        eq(subscriptions.providerSubscriptionId, by.providerSubscriptionId),
      ),
    });
    if (row) return row;
  }
  if (by.id)
    return (await db.query.subscriptions.findFirst({ where: eq(subscriptions.id, by.id) })) ?? null;
  return null;
}

/** The plan and interval a provider price/plan id stands for. */
export async function planForProviderPrice(
  db: Db,
  provider: PaidProvider,
  priceId: string | null,
): Promise<{ plan: Plan; interval: Interval } | null> {
  if (!priceId) return null;
  const [month, year] =
    provider === "stripe"
      ? [plans.stripePriceMonth, plans.stripePriceYear]
      : [plans.paypalPlanMonth, plans.paypalPlanYear];
  const plan = await db.query.plans.findFirst({ where: or(eq(month, priceId), eq(year, priceId)) });
  if (!plan) return null;
  const monthly = provider === "stripe" ? plan.stripePriceMonth : plan.paypalPlanMonth;
  return { plan, interval: monthly === priceId ? "month" : "year" };
}

const ENDED: SubscriptionStatus[] = ["canceled", "expired"];

/**
 * The plan a reported state moves the subscription to, and whether that completes its scheduled
 * change. A provider may report the scheduled plan before the period paid at the old price ends
 * (PayPal shows a revised plan once the buyer approves it): that plan waits for the renewal — a
 * reported period that ends later than ours — so the old plan's limits hold until then.
 */
export function planToApply(
  subscription: Subscription,
  state: ProviderSubscriptionState,
  mapped: { plan: Plan; interval: Interval } | null,
): { mapped: { plan: Plan; interval: Interval } | null; scheduleDone: boolean } {
  const scheduled =
    mapped !== null &&
    mapped.plan.id === subscription.scheduledPlanId &&
    mapped.interval === (subscription.scheduledInterval ?? subscription.interval);
  if (!scheduled) return { mapped, scheduleDone: false };
  const end = subscription.currentPeriodEnd;
  const renewed = end === null || (state.currentPeriodEnd !== null && state.currentPeriodEnd > end);
  return renewed ? { mapped, scheduleDone: true } : { mapped: null, scheduleDone: false };
}

/**
 * The statement that moves a subscription to the provider's reported state — only if that
 * state is newer than the one applied last (events arrive out of order and more than once).
 * Payment standing follows the status: past_due → past_due, active/trialing → good.
 */
export function applyStateStatement(
  db: Db,
  subscription: Subscription,
  state: ProviderSubscriptionState,
  mapped: { plan: Plan; interval: Interval } | null,
  now: number,
  /** A further condition the row must meet when the batch reaches this statement. */
  guard?: SQL,
): Statement {
  const pastDue = state.status === "past_due";
  const ended = ENDED.includes(state.status);
  const plan = planToApply(subscription, state, mapped);
  return db
    .update(subscriptions)
    .set({
      status: state.status,
      providerSubscriptionId: state.providerSubscriptionId,
      ...(plan.mapped ? { planId: plan.mapped.plan.id, interval: plan.mapped.interval } : {}),
      ...(plan.scheduleDone ? { scheduledPlanId: null, scheduledInterval: null } : {}),
      currentPeriodStart: state.currentPeriodStart,
      currentPeriodEnd: state.currentPeriodEnd,
      trialEnd: state.trialEnd,
      cancelAtPeriodEnd: state.cancelAtPeriodEnd,
      canceledAt: state.canceledAt,
      endedAt: ended ? sql`coalesce(${subscriptions.endedAt}, ${now})` : null,
      // Dunning (cron) may have restricted or suspended a past-due subscriber: keep that.
      standing: pastDue
        ? sql`case when ${subscriptions.standing} = 'good' then 'past_due' else ${subscriptions.standing} end`
        : "good",
      pastDueSince: pastDue ? sql`coalesce(${subscriptions.pastDueSince}, ${now})` : null,
      providerStateAt: state.stateAt,
      updatedAt: now,
    })
    .where(
      and(
        eq(subscriptions.id, subscription.id),
        lte(subscriptions.providerStateAt, state.stateAt),
        guard,
      ),
    );
}

/** A new local record for a subscription first seen in a provider event. */
export function insertSubscriptionStatement(
  db: Db,
  args: {
    id?: string;
    userId: string;
    provider: PaidProvider;
    providerCustomerId: string | null;
    state: ProviderSubscriptionState;
    plan: Plan;
    interval: Interval;
  },
  now: number,
): { id: string; statement: Statement } {
  const id = args.id ?? newId("sub");
  const statement = db
    .insert(subscriptions)
    .values({
      id,
      userId: args.userId,
      planId: args.plan.id,
      interval: args.interval,
      status: args.state.status,
      standing: args.state.status === "past_due" ? "past_due" : "good",
      provider: args.provider,
      providerSubscriptionId: args.state.providerSubscriptionId,
      providerCustomerId: args.providerCustomerId,
      cancelAtPeriodEnd: args.state.cancelAtPeriodEnd,
      currentPeriodStart: args.state.currentPeriodStart,
      currentPeriodEnd: args.state.currentPeriodEnd,
      trialEnd: args.state.trialEnd,
      canceledAt: args.state.canceledAt,
      endedAt: ENDED.includes(args.state.status) ? now : null,
      pastDueSince: args.state.status === "past_due" ? now : null,
      providerStateAt: args.state.stateAt,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoNothing();
  return { id, statement };
}

export interface PaymentReport {
  provider: PaidProvider;
  providerPaymentId: string;
  providerInvoiceId: string | null;
  userId: string;
  subscriptionId: string | null;
  amount: number;
  currency: string;
  status: "succeeded" | "failed";
  periodStart: number | null;
  periodEnd: number | null;
  receiptUrl: string | null;
  failureReason: string | null;
}

/**
 * Records a charge once: unique on (provider, provider payment id), so the same event
 * delivered five times makes one row. A recovered payment sets the subscription back to good
 * standing; a failed one makes it past_due.
 */
export function recordPaymentStatements(db: Db, report: PaymentReport, now: number): Statement[] {
  const statements: Statement[] = [
    db
      .insert(payments)
      .values({
        id: newId("pay"),
        userId: report.userId,
        subscriptionId: report.subscriptionId,
        provider: report.provider,
        providerPaymentId: report.providerPaymentId,
        providerInvoiceId: report.providerInvoiceId,
        amount: report.amount,
        currency: report.currency.toLowerCase(),
        status: report.status,
        periodStart: report.periodStart,
        periodEnd: report.periodEnd,
        receiptUrl: report.receiptUrl,
        failureReason: report.failureReason,
        createdAt: now,
        updatedAt: now,
      })
      .onConflictDoNothing(),
  ];
  if (report.subscriptionId) {
    statements.push(
      report.status === "succeeded"
        ? db
            .update(subscriptions)
            .set({
              status: sql`case when ${subscriptions.status} in ('past_due', 'incomplete') then 'active' else ${subscriptions.status} end`,
              standing: "good",
              pastDueSince: null,
              updatedAt: now,
            })
            .where(eq(subscriptions.id, report.subscriptionId))
        : db
            .update(subscriptions)
            .set({
              status: sql`case when ${subscriptions.status} in ('active', 'trialing') then 'past_due' else ${subscriptions.status} end`,
              standing: sql`case when ${subscriptions.standing} = 'good' then 'past_due' else ${subscriptions.standing} end`,
              pastDueSince: sql`coalesce(${subscriptions.pastDueSince}, ${now})`,
              updatedAt: now,
            })
            .where(eq(subscriptions.id, report.subscriptionId)),
    );
  }
  return statements;
}
