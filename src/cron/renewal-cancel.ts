// A subscription canceled at the period end ends at its boundary.
import { and, eq, sql } from "drizzle-orm";
import { type Subscription, subscriptions } from "../db/schema";
import type { ServiceContext } from "../lib/context";
import { providerFor } from "../payments/providers";
import { unchanged } from "./renewal-work";

const s = subscriptions;

/** Ends the subscription at `boundary`; false when the row changed since it was read. */
export async function cancelAtBoundary(
  { db, config, now }: ServiceContext,
  sub: Subscription,
  boundary: number,
): Promise<boolean> {
  if (sub.provider === "paypal") {
    // PayPal cancels at once only: tollgate kept the subscription until now.
    await providerFor("paypal", config).cancel(sub, {
      atPeriodEnd: false,
      reason: sub.cancelReason ?? "Canceled at the end of the billing period",
    });
  }
  // Stripe ends it by itself at the period end; its deleted event then changes nothing.
  const [updated] = await db.batch([
    db
      .update(s)
      .set({
        status: "canceled",
        endedAt: boundary,
        canceledAt: sql`coalesce(${s.canceledAt}, ${boundary})`,
        standing: "good",
        pastDueSince: null,
        scheduledPlanId: null,
        scheduledInterval: null,
        // What the provider said before the end is superseded: a late event never revives it.
        providerStateAt: sql`max(${s.providerStateAt}, ${boundary})`,
        updatedAt: now,
      })
      .where(and(unchanged(sub), eq(s.cancelAtPeriodEnd, true)))
      .returning({ id: s.id }),
  ]);
  return updated.length > 0;
}
