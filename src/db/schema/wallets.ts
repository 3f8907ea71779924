// Wallets: D1's copy of what each user's RateLimiter object holds (balances per currency and the
// append-only ledger). The object is the truth; its alarm flushes here, idempotently, for
// reading (transactions, admin search, exports) and reconciliation.
import {
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";
import { PAID_PROVIDERS } from "./billing";
import { payments } from "./payments";
import { users } from "./users";

/** The entries that change the balance (available + held). */
export const SETTLED_LEDGER_TYPES = [
  "top_up",
  "auto_recharge",
  "capture",
  "refund",
  "adjustment",
] as const;
/** Every entry: the settled ones, and holds and releases, which only move money between
 *  available and held. */
export const LEDGER_TYPES = [...SETTLED_LEDGER_TYPES, "hold", "release"] as const;
export type LedgerType = (typeof LEDGER_TYPES)[number];

export const walletLedger = sqliteTable(
  "wallet_ledger",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    // The object's sequence number: the ledger's order within one user (times can tie).
    seq: integer("seq").notNull(),
    type: text("type", { enum: LEDGER_TYPES }).notNull(),
    amount: integer("amount").notNull(),
    currency: text("currency").notNull(),
    availableAfter: integer("available_after").notNull(),
    heldAfter: integer("held_after").notNull(),
    // A run id, a provider payment id, an adjustment id.
    reference: text("reference").notNull(),
    memo: text("memo"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    index("wallet_ledger_user_seq_idx").on(t.userId, t.seq),
    index("wallet_ledger_reference_idx").on(t.reference),
  ],
);

export const walletBalances = sqliteTable(
  "wallet_balances",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    currency: text("currency").notNull(),
    available: integer("available").notNull(),
    held: integer("held").notNull(),
    // The object's sequence number of the last entry this copy includes.
    seq: integer("seq").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.currency] })],
);

export type WalletLedgerRow = typeof walletLedger.$inferSelect;

export const TOP_UP_KINDS = ["top_up", "auto_recharge"] as const;
export const TOP_UP_STATUSES = ["pending", "completed", "failed"] as const;

// Money put into a wallet through a provider: a Checkout Session or PayPal order the user
// started, or an auto-recharge the user's object started. Credited once the provider confirms
// (the wallet entry's reference is the provider's payment id); refunds live on the payment.
export const walletTopUps = sqliteTable(
  "wallet_top_ups",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    kind: text("kind", { enum: TOP_UP_KINDS }).notNull(),
    provider: text("provider", { enum: PAID_PROVIDERS }).notNull(),
    // The Checkout Session, the PayPal order, or the recharge's reference (auto-recharges).
    providerOrderId: text("provider_order_id").notNull(),
    // The PaymentIntent or PayPal capture that paid it, once confirmed.
    providerPaymentId: text("provider_payment_id"),
    paymentId: text("payment_id").references(() => payments.id),
    // The recharge's reference in the user's object (auto-recharges only).
    rechargeReference: text("recharge_reference"),
    amount: integer("amount").notNull(),
    currency: text("currency").notNull(),
    status: text("status", { enum: TOP_UP_STATUSES }).notNull(),
    createdAt: integer("created_at").notNull(),
    completedAt: integer("completed_at"),
  },
  (t) => [
    uniqueIndex("wallet_top_ups_order_unique").on(t.provider, t.providerOrderId),
    index("wallet_top_ups_payment_idx").on(t.paymentId),
    index("wallet_top_ups_user_idx").on(t.userId, t.createdAt),
  ],
);

export type WalletTopUp = typeof walletTopUps.$inferSelect;
