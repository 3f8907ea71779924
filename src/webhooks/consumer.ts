import { and, eq, inArray, isNull, lte, or, sql } from "drizzle-orm";
import { runBatch } from "../db";
import { webhookEvents } from "../db/schema";
import { enqueueEmails } from "../email/outbox";
import type { ReceivedEvent, WebhookMessage } from "../env";
import type { ServiceContext } from "../lib/context";
import { MINUTE } from "../lib/time";
import { commitWithNotices, prepareNotices } from "../notifications/notices";
import { afterNotificationsCommit, type PreparedNotification } from "../notifications/notify";
import { providerFor } from "../payments/providers";
import { syncPoliciesAfterCommit } from "../ratelimit/client";
import { WEBHOOKS } from "./registry";
import { insertReceivedStatement, storeReceived } from "./store";

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
  /**
   * Where a batch collects what follows a commit (users whose limiter to re-sync, emails to
   * queue), to do it once for the batch; without it, it is done here, for this event.
   */
  after?: AfterCommit,
): Promise<ApplyOutcome> {
  const { db, config, now } = ctx;
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
    const notices = await prepareNotices(ctx, effect.notices ?? []);
    const told = await commitWithNotices(db, [...effect.statements, done("processed")], notices);
    const followUp = after ?? newAfterCommit();
    for (const id of effect.emails) followUp.emails.push(id);
    for (const notification of told) followUp.notifications.push(notification);
    for (const user of effect.syncUsers) followUp.syncUsers.add(user);
    if (!after) await runAfterCommit({ ...ctx, origin: `webhook event ${eventId}` }, followUp);
    return "processed";
  } catch (error) {
    await db
      .update(webhookEvents)
      .set({ lastError: String(error).slice(0, 1000), lockedUntil: null })
      .where(eq(webhookEvents.id, eventId));
    throw error;
  }
}

/**
 * What follows the commits of applied events: emails to queue, limiters to re-sync,
 * notifications to deliver.
 */
export interface AfterCommit {
  emails: string[];
  syncUsers: Set<string>;
  notifications: PreparedNotification[];
}

const newAfterCommit = (): AfterCommit => ({ emails: [], syncUsers: new Set(), notifications: [] });

/** Committed already: a failed send or push is logged, and healed by the sweeps and reconcile. */
async function runAfterCommit(ctx: ServiceContext, after: AfterCommit): Promise<void> {
  await enqueueEmails(ctx.env, after.emails);
  await syncPoliciesAfterCommit(ctx, after.syncUsers);
  await afterNotificationsCommit(ctx, after.notifications);
}

/** Exponential backoff: 10 s, 20 s, 40 s, … (capped at ~10 min). */
const backoff = (attempts: number) => ({ delaySeconds: Math.min(600, 10 * 2 ** (attempts - 1)) });

/**
 * Events that arrived whole are stored first, all in one batch (a duplicate delivery finds the
 * first one's row); then each event is applied on its own. A message is acknowledged only once
 * its event is applied (or was already): until then the queue keeps it and retries.
 */
export async function consumeWebhookBatch(
  ctx: ServiceContext,
  batch: MessageBatch<WebhookMessage>,
): Promise<void> {
  const { db } = ctx;
  const received = batch.messages.filter(
    (m): m is Message<{ received: ReceivedEvent }> => "received" in m.body,
  );
  const storedIds = new Map<Message<WebhookMessage>, string>();
  try {
    const { ids } = await storeReceived(
      db,
      received.map((m) => m.body.received),
    );
    for (const [i, message] of received.entries()) storedIds.set(message, ids[i] as string);
  } catch (error) {
    console.error(JSON.stringify({ msg: "webhook events not stored", error: String(error) }));
    for (const message of received) message.retry(backoff(message.attempts));
  }
  // A batch's events for one user re-sync its limiter once, after the last of them.
  const after = newAfterCommit();
  for (const message of batch.messages) {
    const eventId = "event_id" in message.body ? message.body.event_id : storedIds.get(message);
    if (!eventId) continue; // not stored: retried above
    try {
      await applyWebhookEvent(ctx, eventId, after);
      message.ack();
    } catch (error) {
      console.error(
        JSON.stringify({ msg: "webhook event failed", event: eventId, error: String(error) }),
      );
      message.retry(backoff(message.attempts));
    }
  }
  await runAfterCommit(ctx, after);
}

/**
 * After the last retry: the event is marked failed, keeping its last error, for a replay. An
 * event that never got stored is stored now, as failed, so it can be replayed too.
 */
export async function consumeDeadWebhooks(
  ctx: ServiceContext,
  batch: MessageBatch<WebhookMessage>,
): Promise<void> {
  const { db, now } = ctx;
  for (const message of batch.messages) {
    const body = message.body;
    const failed = {
      status: "failed" as const,
      lockedUntil: null,
      lastError: sql`coalesce(${webhookEvents.lastError}, 'retries exhausted')`,
      processedAt: now,
    };
    if ("received" in body) {
      const event = body.received;
      await runBatch(db, [
        insertReceivedStatement(db, event),
        db
          .update(webhookEvents)
          .set(failed)
          .where(
            and(
              eq(webhookEvents.provider, event.provider),
              eq(webhookEvents.providerEventId, event.provider_event_id),
              eq(webhookEvents.status, "pending"),
            ),
          ),
      ]);
    } else {
      await db
        .update(webhookEvents)
        .set(failed)
        .where(and(eq(webhookEvents.id, body.event_id), eq(webhookEvents.status, "pending")));
    }
    message.ack();
  }
}
