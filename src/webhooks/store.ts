import { and, eq, or } from "drizzle-orm";
import type { Db } from "../db";
import { webhookEvents } from "../db/schema";
import type { ReceivedEvent } from "../env";

/** The row of a received event, unless its provider event id is stored already. */
export function insertReceivedStatement(db: Db, event: ReceivedEvent) {
  return db
    .insert(webhookEvents)
    .values({
      id: event.id,
      provider: event.provider,
      providerEventId: event.provider_event_id,
      type: event.type,
      occurredAt: event.occurred_at,
      payload: event.payload,
      receivedAt: event.received_at,
    })
    .onConflictDoNothing();
}

/**
 * Stores received events in one batch, once each: a provider's event id is unique, so a
 * duplicate is dropped here. Answers the stored row's id for each event (the first delivery's
 * row for a duplicate) and how many rows are new.
 */
export async function storeReceived(
  db: Db,
  events: readonly ReceivedEvent[],
): Promise<{ ids: string[]; inserted: number }> {
  if (events.length === 0) return { ids: [], inserted: 0 };
  const inserts = events.map((event) => insertReceivedStatement(db, event));
  const [first, ...rest] = inserts;
  const results = first ? await db.batch([first, ...rest]) : [];
  const rows = await db
    .select({
      id: webhookEvents.id,
      provider: webhookEvents.provider,
      providerEventId: webhookEvents.providerEventId,
    })
    .from(webhookEvents)
    .where(
      or(
        ...events.map((e) =>
          and(
            eq(webhookEvents.provider, e.provider),
            eq(webhookEvents.providerEventId, e.provider_event_id),
          ),
        ),
      ),
    );
  const idOf = new Map(rows.map((r) => [`${r.provider} ${r.providerEventId}`, r.id]));
  const ids = events.map((e) => {
    const id = idOf.get(`${e.provider} ${e.provider_event_id}`);
    if (!id) throw new Error(`webhook event ${e.provider_event_id} was not stored`);
    return id;
  });
  return { ids, inserted: results.reduce((n, r) => n + (r.meta.changes ?? 0), 0) };
}
