import { and, eq, inArray, isNotNull, isNull, lt, ne, or, sql } from "drizzle-orm";
import { authTokens, emailOutbox, refreshTokens, webhookEvents } from "../db/schema";
import { MAX_EMAIL_ATTEMPTS } from "../email/consumer";
import { enqueueEmails } from "../email/outbox";
import type { Job } from "../lib/jobs";
import { DAY, MINUTE } from "../lib/time";

const BATCH = 500;

/**
 * Emails whose queue message was lost (the enqueue after the commit failed, or the isolate died
 * mid-delivery) are still `pending`: hand them to the queue again once they have been quiet for
 * longer than the queue's longest retry delay. Delivery claims rows, so a duplicate message
 * never sends an email twice.
 */
export const STALE_EMAIL_AFTER = 15 * MINUTE;

export const emailOutboxSweep: Job = async ({ db, env, now }) => {
  const stale = await db
    .select({ id: emailOutbox.id })
    .from(emailOutbox)
    .where(
      and(
        eq(emailOutbox.status, "pending"),
        lt(emailOutbox.attempts, MAX_EMAIL_ATTEMPTS),
        lt(
          sql`coalesce(${emailOutbox.lastAttemptAt}, ${emailOutbox.createdAt})`,
          now - STALE_EMAIL_AFTER,
        ),
      ),
    )
    .limit(BATCH);
  await enqueueEmails(
    env,
    stale.map((r) => r.id),
  );
  return { requeued: stale.length };
};

/**
 * Provider events stored but never applied (the enqueue after the insert failed, or every
 * delivery died mid-way): queue them again. Applying claims the event, so duplicates are safe.
 */
export const webhookEventSweep: Job = async ({ db, env, now }) => {
  const stale = await db
    .select({ id: webhookEvents.id })
    .from(webhookEvents)
    .where(
      and(
        eq(webhookEvents.status, "pending"),
        lt(webhookEvents.receivedAt, now - STALE_EMAIL_AFTER),
        or(isNull(webhookEvents.lockedUntil), lt(webhookEvents.lockedUntil, now)),
      ),
    )
    .limit(BATCH);
  if (stale.length > 0) {
    await env.WEBHOOK_EVENTS.sendBatch(stale.map((e) => ({ body: { event_id: e.id } })));
  }
  return { requeued: stale.length };
};

/** A run deletes at most this many batches, so it stays short; the next run goes on. */
const MAX_BATCHES_PER_RUN = 20;

/** Expired refresh tokens and spent or expired mailed tokens are of no use to anyone. */
export const tokenCleanup: Job = async ({ db, now }) => {
  const counts = { refresh_tokens_deleted: 0, mailed_tokens_deleted: 0 };
  for (let i = 0; i < MAX_BATCHES_PER_RUN; i++) {
    const expiredRefresh = db
      .select({ id: refreshTokens.id })
      .from(refreshTokens)
      .where(lt(refreshTokens.expiresAt, now))
      .limit(BATCH);
    const deadMailed = db
      .select({ id: authTokens.id })
      .from(authTokens)
      .where(or(lt(authTokens.expiresAt, now), isNotNull(authTokens.usedAt)))
      .limit(BATCH);
    const [refreshDeleted, mailedDeleted] = await db.batch([
      db
        .delete(refreshTokens)
        .where(inArray(refreshTokens.id, expiredRefresh))
        .returning({ id: refreshTokens.id }),
      db
        .delete(authTokens)
        .where(inArray(authTokens.id, deadMailed))
        .returning({ id: authTokens.id }),
    ]);
    counts.refresh_tokens_deleted += refreshDeleted.length;
    counts.mailed_tokens_deleted += mailedDeleted.length;
    if (refreshDeleted.length < BATCH && mailedDeleted.length < BATCH) break;
  }
  return counts;
};

/**
 * A delivered email's body holds a token link; once every such link has expired (a day), the
 * body is redacted so D1 keeps no usable secret.
 */
export const REDACTED_BODY = "[redacted: delivered more than a day ago; its link has expired]";

export const redactDeliveredEmails: Job = async ({ db, now }) => {
  const old = db
    .select({ id: emailOutbox.id })
    .from(emailOutbox)
    .where(
      and(
        inArray(emailOutbox.status, ["sent", "failed"]),
        lt(emailOutbox.createdAt, now - DAY),
        ne(emailOutbox.textBody, REDACTED_BODY),
      ),
    )
    .limit(BATCH);
  const redacted = await db
    .update(emailOutbox)
    .set({ textBody: REDACTED_BODY })
    .where(inArray(emailOutbox.id, old))
    .returning({ id: emailOutbox.id });
  return { redacted: redacted.length };
};
