// What a provider's report about a subscription or a payment tells its user: the system notices
// (src/notifications/system.ts) that go in the same batch as the change (webhooks/consumer.ts).
import type { Db } from "../db";
import type { Interval, Plan, Subscription } from "../db/schema";
import type { Notice } from "../notifications/notices";
import type { ProviderSubscriptionState } from "../payments/provider";
import { planById } from "../policy/current";
import { type PaymentReport, planToApply } from "./sync";

const ENDED = new Set(["canceled", "expired"]);

/**
 * A reported state that will be applied (it is not older than the one held) and ends the
 * subscription or moves it to another plan: canceled, plan changed.
 */
export async function stateNotices(
  db: Db,
  subscription: Subscription,
  state: ProviderSubscriptionState,
  mapped: { plan: Plan; interval: Interval } | null,
): Promise<Notice[]> {
  if (state.stateAt < subscription.providerStateAt || ENDED.has(subscription.status)) return [];
  const current = await planById(db, subscription.planId);
  const plan = current?.name ?? null;
  const base = { userId: subscription.userId };
  if (ENDED.has(state.status)) {
    return [{ ...base, event: { kind: "canceled", subscriptionId: subscription.id, plan } }];
  }
  const next = planToApply(subscription, state, mapped).mapped?.plan;
  if (!next || next.id === subscription.planId) return [];
  return [
    {
      ...base,
      event: {
        kind: "plan_changed",
        subscriptionId: subscription.id,
        from: plan,
        to: next.name,
        toPlanId: next.id,
        at: state.stateAt,
      },
    },
  ];
}

/**
 * A payment reported: failed; or succeeded for a subscription that was past due (recovered) or
 * for one of its renewals (renewed).
 */
export function paymentNotices(
  report: PaymentReport,
  subscription: Subscription | null,
  plan: string | null,
  renewal: boolean,
): Notice[] {
  const base = { provider: report.provider, paymentId: report.providerPaymentId, plan };
  if (report.status === "failed") {
    return [
      {
        userId: report.userId,
        event: {
          kind: "payment_failed",
          ...base,
          amount: report.amount,
          currency: report.currency,
        },
      },
    ];
  }
  if (!subscription) return [];
  if (subscription.status === "past_due" || subscription.standing !== "good") {
    return [{ userId: report.userId, event: { kind: "payment_recovered", ...base } }];
  }
  if (!renewal || report.periodStart === null) return [];
  return [
    {
      userId: report.userId,
      event: {
        kind: "renewed",
        subscriptionId: subscription.id,
        plan,
        periodStart: report.periodStart,
        periodEnd: report.periodEnd,
      },
    },
  ];
}
