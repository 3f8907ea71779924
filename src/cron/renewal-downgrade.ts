// A scheduled downgrade of a provider subscription, applied at its period end.
import { and, eq, isNull } from "drizzle-orm";
import type { Db, Statement } from "../db";
import { type Plan, type Subscription, subscriptions } from "../db/schema";
import type { ServiceContext } from "../lib/context";
import type { PaidProvider } from "../payments/provider";
import { providerFor } from "../payments/providers";
import { planById } from "../policy/current";
import { applyStateStatement } from "../subscriptions/sync";
import { fetchedState } from "./renewal-resync";
import { unchanged } from "./renewal-work";

const s = subscriptions;

/** The plan a scheduled downgrade moves the subscription to. */
export async function scheduledPlan(db: Db, sub: Subscription): Promise<Plan> {
  const plan = sub.scheduledPlanId ? await planById(db, sub.scheduledPlanId) : null;
  if (!plan) throw new Error(`scheduled plan ${sub.scheduledPlanId} of ${sub.id} is missing`);
  return plan;
}

/**
 * A provider subscription's scheduled downgrade, at its period end: the provider has had it since
 * it was asked for (src/subscriptions/scheduled-change.ts), so nothing is asked of it but its
 * state, applied with the new plan in one batch with clearing the schedule. Answers the plan it
 * moved to; null when the row changed since it was read.
 */
export async function downgradeAtProvider(
  { db, config, now }: ServiceContext,
  sub: Subscription & { provider: PaidProvider },
): Promise<Plan | null> {
  const target = await scheduledPlan(db, sub);
  const interval = sub.scheduledInterval ?? sub.interval;
  const provider = providerFor(sub.provider, config);
  const statements: Statement[] = [];
  if (sub.providerSubscriptionId) {
    try {
      const fetched = await provider.fetchSubscription(sub.providerSubscriptionId);
      statements.push(
        applyStateStatement(
          db,
          sub,
          fetchedState(sub, fetched, now),
          { plan: target, interval },
          now,
          // Only with the downgrade itself: a row changed since it was read (the change called
          // off) gets neither.
          and(eq(s.planId, target.id), isNull(s.scheduledPlanId)),
        ),
      );
    } catch (error) {
      // The downgrade stands; the period is re-synced later if no event brings it.
      console.error(
        JSON.stringify({ msg: "fetch after downgrade failed", id: sub.id, error: String(error) }),
      );
    }
  }
  const [updated] = await db.batch([
    db
      .update(s)
      .set({
        planId: target.id,
        interval,
        scheduledPlanId: null,
        scheduledInterval: null,
        updatedAt: now,
      })
      .where(and(unchanged(sub), eq(s.scheduledPlanId, target.id)))
      .returning({ id: s.id }),
    ...statements,
  ]);
  return updated.length > 0 ? target : null;
}
