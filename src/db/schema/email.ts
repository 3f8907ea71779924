// The email outbox: every email is written here first, then delivered from the queue.
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { users } from "./users";

export const EMAIL_STATUSES = ["pending", "sent", "failed"] as const;

export const emailOutbox = sqliteTable(
  "email_outbox",
  {
    id: text("id").primaryKey(),
    userId: text("user_id").references(() => users.id),
    toAddress: text("to_address").notNull(),
    template: text("template").notNull(),
    subject: text("subject").notNull(),
    textBody: text("text_body").notNull(),
    status: text("status", { enum: EMAIL_STATUSES }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    providerMessageId: text("provider_message_id"),
    lastAttemptAt: integer("last_attempt_at"),
    // A delivery in progress holds the row until then, so two deliveries never both send it.
    lockedUntil: integer("locked_until"),
    createdAt: integer("created_at").notNull(),
    sentAt: integer("sent_at"),
  },
  (t) => [
    index("email_outbox_user_idx").on(t.userId),
    index("email_outbox_status_idx").on(t.status, t.createdAt),
  ],
);
