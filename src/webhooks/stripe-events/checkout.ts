// checkout.session.completed: remembers the customer and binds our subscription to Stripe's.
import { and, eq, isNull, sql } from "drizzle-orm";
import type { Statement } from "../../db";
import { subscriptions } from "../../db/schema";
import { idOf } from "../../payments/stripe-api";
import { findSubscription } from "../../subscriptions/sync";
import type { EventHandler } from "../types";
import { customerStatement, effect, type Metadata, objectOf, type Ref, userExists } from "./common";

interface CheckoutSessionLike {
  id: string;
  mode?: string;
  customer?: Ref;
  subscription?: Ref;
  client_reference_id?: string | null;
  metadata?: Metadata;
}

export const checkoutCompleted: EventHandler = async ({ db, now }, payload) => {
  const session = objectOf<CheckoutSessionLike>(payload).data.object;
  const metadata = session.metadata;
  const userId = metadata?.user_id ?? session.client_reference_id ?? null;
  const customerId = idOf(session.customer);
  const providerSubscriptionId = idOf(session.subscription);
  const statements: Statement[] = [];
  if (userId && customerId && (await userExists(db, userId))) {
    statements.push(customerStatement(db, userId, customerId, now));
  }
  const ourId = metadata?.tollgate_subscription_id;
  const ours = ourId ? await findSubscription(db, { provider: "stripe", id: ourId }) : null;
  // Bound already (by a subscription event that came first), or held by another record.
  const held =
    providerSubscriptionId &&
    (await findSubscription(db, { provider: "stripe", providerSubscriptionId }));
  if (
    ours &&
    ours.provider === "stripe" &&
    !ours.providerSubscriptionId &&
    providerSubscriptionId &&
    !held
  ) {
    statements.push(
      db
        .update(subscriptions)
        .set({
          providerSubscriptionId,
          providerCustomerId: sql`coalesce(${subscriptions.providerCustomerId}, ${customerId})`,
          updatedAt: now,
        })
        .where(and(eq(subscriptions.id, ours.id), isNull(subscriptions.providerSubscriptionId))),
    );
  }
  return effect(statements, [ours?.userId ?? userId]);
};
