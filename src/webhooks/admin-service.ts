import { and, eq } from "drizzle-orm";
import { auditInsert } from "../audit/audit";
import type { Db } from "../db";
import { type WebhookEvent, webhookEvents } from "../db/schema";
import type { ServiceContext } from "../lib/context";
import { notFound } from "../lib/errors";
import { keysetPage } from "../lib/pagination";
import { iso } from "../lib/time";

export function webhookEventView(e: WebhookEvent) {
  return {
    id: e.id,
    provider: e.provider,
    provider_event_id: e.providerEventId,
    type: e.type,
    status: e.status,
    attempts: e.attempts,
    last_error: e.lastError,
    occurred_at: iso(e.occurredAt),
    received_at: iso(e.receivedAt),
    processed_at: iso(e.processedAt),
  };
}

export async function listWebhookEvents(
  db: Db,
  query: {
    limit: number;
    cursor?: string | undefined;
    status?: WebhookEvent["status"] | undefined;
    provider?: WebhookEvent["provider"] | undefined;
  },
) {
  const { items, next_cursor } = await keysetPage(
    query,
    ({ after, orderBy, limit }) =>
      db
        .select()
        .from(webhookEvents)
        .where(
          and(
            after,
            query.status ? eq(webhookEvents.status, query.status) : undefined,
            query.provider ? eq(webhookEvents.provider, query.provider) : undefined,
          ),
        )
        .orderBy(...orderBy)
        .limit(limit),
    { time: webhookEvents.receivedAt, id: webhookEvents.id, timeOf: (row) => row.receivedAt },
  );
  return { data: items.map(webhookEventView), next_cursor };
}

/**
 * Marks a stored event pending again, audit-logged in the same batch. The caller queues it; a
 * lost send is picked up by the cron sweep of pending events.
 */
export async function markForReplay(
  { db, now }: ServiceContext,
  actorId: string,
  id: string,
): Promise<WebhookEvent> {
  const existing = await db
    .select({ id: webhookEvents.id })
    .from(webhookEvents)
    .where(eq(webhookEvents.id, id))
    .get();
  if (!existing) throw notFound("Webhook event");
  const [updated] = await db.batch([
    db
      .update(webhookEvents)
      .set({ status: "pending", lockedUntil: null, processedAt: null })
      .where(eq(webhookEvents.id, id))
      .returning(),
    auditInsert(
      db,
      {
        actorId,
        action: "webhook_event.replay",
        targetType: "webhook_event",
        targetId: id,
        data: {},
      },
      now,
    ),
  ]);
  const event = updated[0];
  if (!event) throw notFound("Webhook event");
  return event;
}
