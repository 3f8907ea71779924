// Wallets: D1's copy of what each user's RateLimiter object holds (balances per currency and the
// append-only ledger). The object is the truth; its alarm flushes here, idempotently, for
// reading (transactions, admin search, exports) and reconciliation.
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { users } from "./users";

export const LEDGER_TYPES = [
  "top_up",
  "auto_recharge",
  "hold",
  "capture",
  "release",
  "refund",
  "adjustment",
] as const;
export type LedgerType = (typeof LEDGER_TYPES)[number];

/** The entries that change the balance (available + held); holds and releases only move it. */
export const SETTLED_LEDGER_TYPES = [
  "top_up",
  "auto_recharge",
  "capture",
  "refund",
  "adjustment",
] as const satisfies readonly LedgerType[];

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
