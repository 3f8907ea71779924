import { and, eq, isNull, lte, or, sql } from "drizzle-orm";
import type { Db } from "../db";
import { type DeliveryStatus, notificationDeliveries } from "../db/schema";
import { MINUTE } from "../lib/time";

/** How long a delivery holds its row; longer than any provider call should take. */
export const DELIVERY_LEASE = 2 * MINUTE;

/** A delivery gives up (status `failed`) after this many attempts (the queue's max_retries + 1). */
export const MAX_DELIVERY_ATTEMPTS = 6;

/**
 * Claims a queued delivery for one attempt: only one consumer holds it at a time, and a sent,
 * failed or skipped one is never claimed again, so a duplicate message does nothing.
 */
export async function claimDelivery(db: Db, deliveryId: string, now: number) {
  const [row] = await db
    .update(notificationDeliveries)
    .set({
      attempts: sql`${notificationDeliveries.attempts} + 1`,
      lockedUntil: now + DELIVERY_LEASE,
      updatedAt: now,
    })
    .where(
      and(
        eq(notificationDeliveries.id, deliveryId),
        eq(notificationDeliveries.status, "queued"),
        or(
          isNull(notificationDeliveries.lockedUntil),
          lte(notificationDeliveries.lockedUntil, now),
        ),
      ),
    )
    .returning();
  return row ?? null;
}

/**
 * When the lease on a delivery still queued ends, if another attempt holds it at `now` (null:
 * nothing to wait for, the delivery is over or unknown). A message that could not claim the row
 * comes back then rather than being dropped: the holder may fail without recording it.
 */
export async function leasedUntil(db: Db, deliveryId: string, now: number): Promise<number | null> {
  const row = await db
    .select({
      status: notificationDeliveries.status,
      lockedUntil: notificationDeliveries.lockedUntil,
    })
    .from(notificationDeliveries)
    .where(eq(notificationDeliveries.id, deliveryId))
    .get();
  if (row?.status !== "queued" || row.lockedUntil === null || row.lockedUntil <= now) return null;
  return row.lockedUntil;
}

/** Gives back a claimed row whose attempt threw before it could be recorded (D1 failed). */
export async function releaseDelivery(db: Db, deliveryId: string, now: number): Promise<void> {
  await db
    .update(notificationDeliveries)
    .set({ lockedUntil: null, updatedAt: now })
    .where(
      and(eq(notificationDeliveries.id, deliveryId), eq(notificationDeliveries.status, "queued")),
    );
}

/** How an attempt ended: a final status, or "retry" (the row stays queued for the next one). */
export type Attempt =
  | { status: Exclude<DeliveryStatus, "queued">; providerId?: string | null; error?: string }
  | { status: "retry"; error: string };

/** Records an attempt's end on the claimed row and releases it. */
export async function finishAttempt(db: Db, deliveryId: string, attempt: Attempt, now: number) {
  const error = "error" in attempt && attempt.error ? attempt.error.slice(0, 500) : null;
  await db
    .update(notificationDeliveries)
    .set({
      status: attempt.status === "retry" ? "queued" : attempt.status,
      lastError: error,
      lockedUntil: null,
      updatedAt: now,
      ...(attempt.status !== "retry" && attempt.providerId !== undefined
        ? { providerId: attempt.providerId }
        : {}),
    })
    .where(eq(notificationDeliveries.id, deliveryId));
}

/** A delivery that will not be tried again (dead-lettered): failed, unless it already ended. */
export async function markDeadLettered(db: Db, deliveryId: string, now: number) {
  await db
    .update(notificationDeliveries)
    .set({
      status: "failed",
      lastError: sql`coalesce(${notificationDeliveries.lastError}, 'dead-lettered')`,
      lockedUntil: null,
      updatedAt: now,
    })
    .where(
      and(eq(notificationDeliveries.id, deliveryId), eq(notificationDeliveries.status, "queued")),
    );
}
