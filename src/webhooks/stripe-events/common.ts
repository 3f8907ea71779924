// What every Stripe event handler shares: reading the event's object, shaping the effect, and
// finding the user and our subscription a Stripe object belongs to. Handlers only read D1; every
// write is a statement in the effect, committed in one batch with marking the event processed.
import { and, eq } from "drizzle-orm";
import type { Db, Statement } from "../../db";
import { billingCustomers, type Subscription, users } from "../../db/schema";
import type { Notice } from "../../notifications/notices";
import { findSubscription } from "../../subscriptions/sync";
import type { EventEffect } from "../types";

export type Ref = string | { id: string } | null | undefined;
export type Metadata = Record<string, string> | null | undefined;

export interface StripeEventLike<T> {
  id: string;
  type: string;
  created: number;
  data: { object: T };
}

export function objectOf<T>(payload: unknown): StripeEventLike<T> {
  const event = payload as StripeEventLike<T> | null;
  if (!event || typeof event !== "object" || !event.data?.object) {
    throw new Error("not a Stripe event: data.object is missing");
  }
  return event;
}

export const effect = (
  statements: Statement[],
  syncUsers: (string | null | undefined)[] = [],
  emails: string[] = [],
  notices: Notice[] = [],
): EventEffect => ({
  statements,
  syncUsers: [...new Set(syncUsers.filter((u): u is string => !!u))],
  emails,
  notices,
});

export async function userForCustomer(db: Db, customerId: string | null): Promise<string | null> {
  if (!customerId) return null;
  const row = await db.query.billingCustomers.findFirst({
    where: and(
      eq(billingCustomers.provider, "stripe"),
      eq(billingCustomers.customerId, customerId),
    ),
  });
  return row?.userId ?? null;
}

export async function userExists(db: Db, userId: string): Promise<boolean> {
  const row = await db.select({ id: users.id }).from(users).where(eq(users.id, userId)).get();
  return !!row;
}

/** Remembers the user's Stripe customer; a user keeps the first one. */
export function customerStatement(
  db: Db,
  userId: string,
  customerId: string,
  now: number,
): Statement {
  return db
    .insert(billingCustomers)
    .values({ userId, provider: "stripe", customerId, createdAt: now })
    .onConflictDoNothing();
}

/**
 * Our subscription for a Stripe one: by its Stripe id, else by the id we put in its metadata at
 * checkout — unless that record is bound to another Stripe subscription already.
 */
export async function ourSubscription(
  db: Db,
  providerSubscriptionId: string | null,
  metadata: Metadata,
): Promise<Subscription | null> {
  const found = await findSubscription(db, {
    provider: "stripe",
    providerSubscriptionId,
    id: metadata?.tollgate_subscription_id ?? null,
  });
  if (found?.provider !== "stripe") return null;
  if (
    found.providerSubscriptionId &&
    providerSubscriptionId &&
    found.providerSubscriptionId !== providerSubscriptionId
  ) {
    return null;
  }
  return found;
}
