import { and, eq, isNull, lt, or } from "drizzle-orm";
import { notificationBroadcasts, notificationDeliveries } from "../db/schema";
import type { NotificationDelivery } from "../env";
import type { Job } from "../lib/jobs";
import { MINUTE } from "../lib/time";
import { queueBroadcast } from "./broadcast";
import { sendDeliveries } from "./notify";

/** Quiet for longer than the queue's longest retry delay (10 minutes): its message was lost. */
export const STALE_AFTER = 15 * MINUTE;
const BATCH = 500;

/**
 * Deliveries still queued long after their last attempt (the send after the commit failed, or
 * the consumer died mid-way) go to the queue again, and stalled broadcasts resume. Deliveries
 * are claimed and broadcasts are deduplicated per user, so a duplicate does nothing twice.
 */
export const notificationSweep: Job = async (ctx) => {
  const { db, now } = ctx;
  const stale: NotificationDelivery[] = await db
    .select({
      delivery_id: notificationDeliveries.id,
      notification_id: notificationDeliveries.notificationId,
      user_id: notificationDeliveries.userId,
      channel: notificationDeliveries.channel,
    })
    .from(notificationDeliveries)
    .where(
      and(
        eq(notificationDeliveries.status, "queued"),
        lt(notificationDeliveries.updatedAt, now - STALE_AFTER),
        or(isNull(notificationDeliveries.lockedUntil), lt(notificationDeliveries.lockedUntil, now)),
      ),
    )
    .limit(BATCH);
  await sendDeliveries(ctx, stale);
  const stalled = await db
    .select({ id: notificationBroadcasts.id })
    .from(notificationBroadcasts)
    .where(
      and(
        eq(notificationBroadcasts.status, "sending"),
        lt(notificationBroadcasts.updatedAt, now - STALE_AFTER),
      ),
    )
    .limit(BATCH);
  for (const broadcast of stalled) await queueBroadcast(ctx, broadcast.id);
  return { deliveries_requeued: stale.length, broadcasts_resumed: stalled.length };
};
