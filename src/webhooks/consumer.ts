import { and, eq, inArray, isNull, lte, or, sql } from "drizzle-orm";
import { runBatch } from "../db";
import { webhookEvents } from "../db/schema";
import { enqueueEmails } from "../email/outbox";
import type { ServiceContext } from "../lib/context";
import { MINUTE } from "../lib/time";
import { providerFor } from "../payments/providers";
import { syncPoliciesAfterCommit } from "../ratelimit/client";
import { WEBHOOKS } from "./registry";

export interface WebhookMessage {
  event_id: string;
}

/** How long one delivery may hold an event while applying it. */
const APPLY_LEASE = 2 * MINUTE;

export type ApplyOutcome = "processed" | "ignored" | "skipped";

/**
 * Applies one stored event. The event is claimed first (only one delivery applies it at a
 * time); its effects and "processed" are written in ONE batch, so an event is either fully
 * applied or not at all; an event already handled is skipped. Handlers are written so that
 * applying an event again changes nothing (payments are unique on the provider's id, and a
 * subscription only moves to a state newer than the one it has).
 */
export async function applyWebhookEvent(
  ctx: ServiceContext,
  eventId: string,
): Promise<ApplyOutcome> {
  const { db, env, config, now } = ctx;
  const [event] = await db
    .update(webhookEvents)
    .set({ attempts: sql`${webhookEvents.attempts} + 1`, lockedUntil: now + APPLY_LEASE })
    .where(
      and(
        eq(webhookEvents.id, eventId),
        inArray(webhookEvents.status, ["pending", "failed"]),
        or(isNull(webhookEvents.lockedUntil), lte(webhookEvents.lockedUntil, now)),
      ),
    )
    .returning();
  if (!event) return "skipped";
  const hooks = WEBHOOKS[event.provider];
  const handler = hooks.handlers[event.type];
  const done = (status: "processed" | "ignored") =>
    db
      .update(webhookEvents)
      .set({ status, processedAt: now, lockedUntil: null, lastError: null })
      .where(eq(webhookEvents.id, eventId));
  if (!handler) {
    await done("ignored");
    return "ignored";
  }
  try {
    const effect = await handler(
      { ...ctx, event, provider: () => providerFor(event.provider, config) },
      JSON.parse(event.payload),
    );
    await runBatch(db, [...effect.statements, done("processed")]);
    await enqueueEmails(env, effect.emails);
    // Committed already: a failed push is healed by the object's hourly reconcile.
    await syncPoliciesAfterCommit(
      { ...ctx, origin: `webhook event ${eventId}` },
      db,
      effect.syncUsers,
    );
    return "processed";
  } catch (error) {
    await db
      .update(webhookEvents)
      .set({ lastError: String(error).slice(0, 1000), lockedUntil: null })
      .where(eq(webhookEvents.id, eventId));
    throw error;
  }
}

export async function consumeWebhookBatch(
  ctx: ServiceContext,
  batch: MessageBatch<WebhookMessage>,
): Promise<void> {
  for (const message of batch.messages) {
    try {
      await applyWebhookEvent(ctx, message.body.event_id);
      message.ack();
    } catch (error) {
      console.error(
        JSON.stringify({
          msg: "webhook event failed",
          event: message.body.event_id,
          error: String(error),
        }),
      );
      // Exponential backoff: 10 s, 20 s, 40 s, … (capped at ~10 min).
      message.retry({ delaySeconds: Math.min(600, 10 * 2 ** (message.attempts - 1)) });
    }
  }
}

/** After the last retry: the event is marked failed, keeping its last error, for a replay. */
export async function consumeDeadWebhooks(
  { db, now }: ServiceContext,
  batch: MessageBatch<WebhookMessage>,
): Promise<void> {
  for (const message of batch.messages) {
    await db
      .update(webhookEvents)
      .set({
        status: "failed",
        lockedUntil: null,
        lastError: sql`coalesce(${webhookEvents.lastError}, 'retries exhausted')`,
        processedAt: now,
      })
      .where(and(eq(webhookEvents.id, message.body.event_id), eq(webhookEvents.status, "pending")));
    message.ack();
  }
}
