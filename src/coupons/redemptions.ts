// Who has used a coupon. Redemptions are written by the provider events of the subscription the
// coupon discounts (webhooks/); until then the coupon is only attached to the subscription.
import { and, eq } from "drizzle-orm";
import type { Db } from "../db";
import { type Coupon, couponRedemptions, subscriptions } from "../db/schema";

/** Whether the user has redeemed the coupon already: each user may use a coupon once. */
export async function hasRedeemed(db: Db, couponId: string, userId: string): Promise<boolean> {
  const redeemed = await db
    .select({ id: couponRedemptions.id })
    .from(couponRedemptions)
    .where(and(eq(couponRedemptions.couponId, couponId), eq(couponRedemptions.userId, userId)))
    .get();
  return redeemed !== undefined;
}

/** Redeemed, or attached to a subscription: its discount is part of someone's bill. */
export async function isCouponInUse(db: Db, coupon: Coupon): Promise<boolean> {
  if (coupon.timesRedeemed > 0) return true;
  const [redemption, subscription] = await Promise.all([
    db
      .select({ id: couponRedemptions.id })
      .from(couponRedemptions)
      .where(eq(couponRedemptions.couponId, coupon.id))
      .get(),
    db
      .select({ id: subscriptions.id })
      .from(subscriptions)
      .where(eq(subscriptions.couponId, coupon.id))
      .get(),
  ]);
  return redemption !== undefined || subscription !== undefined;
}
