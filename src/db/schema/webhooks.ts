// Provider events as received: stored first, applied by the queue consumer.
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { PAID_PROVIDERS } from "./billing";

export const WEBHOOK_EVENT_STATUSES = ["pending", "processed", "ignored", "failed"] as const;

export const webhookEvents = sqliteTable(
  "webhook_events",
  {
    id: text("id").primaryKey(),
    provider: text("provider", { enum: PAID_PROVIDERS }).notNull(),
    providerEventId: text("provider_event_id").notNull(),
    type: text("type").notNull(),
    // The provider's own timestamp of the event (ms).
    occurredAt: integer("occurred_at").notNull(),
    payload: text("payload").notNull(),
    status: text("status", { enum: WEBHOOK_EVENT_STATUSES }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    // A delivery applying the event holds it until then, so duplicates never apply it twice.
    lockedUntil: integer("locked_until"),
    receivedAt: integer("received_at").notNull(),
    processedAt: integer("processed_at"),
  },
  (t) => [
    uniqueIndex("webhook_events_provider_unique").on(t.provider, t.providerEventId),
    index("webhook_events_status_idx").on(t.status, t.receivedAt),
  ],
);

export type WebhookEvent = typeof webhookEvents.$inferSelect;
