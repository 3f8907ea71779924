// A Stripe subscription's state applied to ours: the record moves to it, or is created for a
// subscription first seen; the customer and the coupon's redemption are remembered with it. Used
// by the subscription events and by invoices that arrive before their subscription.
import { and, eq, isNull, sql } from "drizzle-orm";
import type { Db, Statement } from "../../db";
import { couponRedemptions, coupons, type Plan, subscriptions } from "../../db/schema";
import { newId } from "../../lib/ids";
import type { Notice } from "../../notifications/notices";
import type { ProviderSubscriptionState } from "../../payments/provider";
import { idOf } from "../../payments/stripe-api";
import type { StripeSubscriptionLike } from "../../payments/stripe-state";
import { planById } from "../../policy/current";
import { stateNotices } from "../../subscriptions/notices";
import {
  applyStateStatement,
  insertSubscriptionStatement,
  planForProviderPrice,
} from "../../subscriptions/sync";
import { customerStatement, ourSubscription, userExists, userForCustomer } from "./common";

/** The redemption of the subscription's coupon, once per user, and the coupon's new count. */
async function couponStatements(
  db: Db,
  couponId: string,
  userId: string,
  subscriptionId: string,
  now: number,
): Promise<Statement[]> {
  const coupon = await db.query.coupons.findFirst({ where: eq(coupons.id, couponId) });
  if (!coupon) return [];
  return [
    db
      .insert(couponRedemptions)
      .values({ id: newId("red"), couponId, userId, subscriptionId, createdAt: now })
      .onConflictDoNothing(),
    db
      .update(coupons)
      .set({
        timesRedeemed: sql`(select count(*) from coupon_redemptions where coupon_id = ${couponId})`,
        updatedAt: now,
      })
      .where(eq(coupons.id, couponId)),
  ];
}

export interface SubscriptionSync {
  statements: Statement[];
  userId: string | null;
  subscriptionId: string | null;
  plan: Plan | null;
  /** What the change tells the user (ended, plan changed). */
  notices: Notice[];
}

/**
 * What a Stripe subscription's state changes locally: our record moves to it (only when it is
 * newer than the state applied last), or a record is created for a subscription first seen.
 */
export async function syncSubscription(
  db: Db,
  subscription: StripeSubscriptionLike,
  state: ProviderSubscriptionState,
  now: number,
): Promise<SubscriptionSync> {
  const metadata = subscription.metadata;
  const customerId = idOf(subscription.customer);
  const mapped = await planForProviderPrice(db, "stripe", state.providerPriceId);
  const ours = await ourSubscription(db, subscription.id, metadata);
  const statements: Statement[] = [];
  let userId: string | null;
  let subscriptionId: string;
  let couponId: string | null;
  let plan: Plan | null = mapped?.plan ?? null;
  let notices: Notice[] = [];

  if (ours) {
    userId = ours.userId;
    subscriptionId = ours.id;
    couponId = ours.couponId ?? metadata?.coupon_id ?? null;
    statements.push(applyStateStatement(db, ours, state, mapped, now));
    notices = await stateNotices(db, ours, state, mapped);
    if (customerId && !ours.providerCustomerId) {
      statements.push(
        db
          .update(subscriptions)
          .set({ providerCustomerId: customerId })
          .where(and(eq(subscriptions.id, ours.id), isNull(subscriptions.providerCustomerId))),
      );
    }
    if (!plan) {
      plan = await planById(db, ours.planId);
    }
  } else {
    userId = metadata?.user_id ?? (await userForCustomer(db, customerId));
    if (!userId || !(await userExists(db, userId))) {
      console.warn(
        JSON.stringify({
          msg: "stripe subscription for no known user",
          subscription: subscription.id,
        }),
      );
      return { statements: [], userId: null, subscriptionId: null, plan, notices };
    }
    if (!mapped) {
      // Which plan it buys is unknown: keep nothing rather than guess (the event stays stored).
      console.warn(
        JSON.stringify({
          msg: "stripe subscription with an unknown price",
          subscription: subscription.id,
          price: state.providerPriceId,
        }),
      );
      return { statements: [], userId, subscriptionId: null, plan, notices };
    }
    // Keep the id the checkout chose when no record holds it.
    const wanted = metadata?.tollgate_subscription_id;
    const free = wanted
      ? !(await db.query.subscriptions.findFirst({ where: eq(subscriptions.id, wanted) }))
      : false;
    const inserted = insertSubscriptionStatement(
      db,
      {
        ...(wanted && free ? { id: wanted } : {}),
        userId,
        provider: "stripe",
        providerCustomerId: customerId,
        state,
        plan: mapped.plan,
        interval: mapped.interval,
      },
      now,
    );
    subscriptionId = inserted.id;
    couponId = metadata?.coupon_id ?? null;
    statements.push(inserted.statement);
    if (couponId) {
      statements.push(
        db
          .update(subscriptions)
          .set({ couponId })
          .where(and(eq(subscriptions.id, subscriptionId), isNull(subscriptions.couponId))),
      );
    }
  }

  if (customerId) statements.push(customerStatement(db, userId, customerId, now));
  if (couponId && (state.status === "trialing" || state.status === "active")) {
    statements.push(...(await couponStatements(db, couponId, userId, subscriptionId, now)));
  }
  return { statements, userId, subscriptionId, plan, notices };
}
