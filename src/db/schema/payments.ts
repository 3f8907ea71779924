// Payments the providers reported: charges, refunds, failures.
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { PROVIDERS, subscriptions } from "./billing";
import { users } from "./users";

export const PAYMENT_STATUSES = ["succeeded", "failed", "refunded", "partially_refunded"] as const;

export const payments = sqliteTable(
  "payments",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    subscriptionId: text("subscription_id").references(() => subscriptions.id),
    provider: text("provider", { enum: PROVIDERS }).notNull(),
    // The charge (Stripe) or sale (PayPal): what a refund refers to.
    providerPaymentId: text("provider_payment_id").notNull(),
    providerInvoiceId: text("provider_invoice_id"),
    amount: integer("amount").notNull(),
    amountRefunded: integer("amount_refunded").notNull().default(0),
    currency: text("currency").notNull(),
    status: text("status", { enum: PAYMENT_STATUSES }).notNull(),
    periodStart: integer("period_start"),
    periodEnd: integer("period_end"),
    receiptUrl: text("receipt_url"),
    failureReason: text("failure_reason"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("payments_provider_unique").on(t.provider, t.providerPaymentId),
    index("payments_user_idx").on(t.userId, t.createdAt),
    index("payments_created_idx").on(t.createdAt, t.id),
  ],
);

export type Payment = typeof payments.$inferSelect;
