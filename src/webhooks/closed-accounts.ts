// A subscription that comes alive for a deleted account (a checkout left open when the account
// was deleted, completed afterwards) must not bill anyone: it is canceled at the provider, now,
// before the event is recorded — and recorded as canceled. If the provider refuses, the handler
// throws and the queue retries the event.
import { eq } from "drizzle-orm";
import { type Subscription, type SubscriptionStatus, users } from "../db/schema";
import { RUNNING_STATUSES } from "../policy/current";
import type { EventContext } from "./types";

/**
 * True when the subscription (in `status`) belongs to a deleted account and was just canceled at
 * the provider; the caller then records it as canceled.
 */
export async function cancelForClosedAccount(
  context: EventContext,
  userId: string | null,
  status: SubscriptionStatus,
  subscription: Pick<Subscription, "providerSubscriptionId"> & Partial<Subscription>,
): Promise<boolean> {
  if (!userId || !(RUNNING_STATUSES as readonly string[]).includes(status)) return false;
  const owner = await context.db
    .select({ status: users.status })
    .from(users)
    .where(eq(users.id, userId))
    .get();
  if (owner?.status !== "deleted") return false;
  await context
    .provider()
    .cancel(subscription as Subscription, { atPeriodEnd: false, reason: "account_deleted" });
  return true;
}
