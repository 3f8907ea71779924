// The wallet's shapes in the API: balances, ledger entries, top-ups, auto-recharge, admin views.
import { z } from "@hono/zod-openapi";
import { LEDGER_TYPES, PAID_PROVIDERS, TOP_UP_KINDS, TOP_UP_STATUSES } from "../db/schema";
import { PageQuery } from "../lib/pagination";

export const Currency = z
  .string()
  .regex(/^[A-Za-z]{3}$/, "an ISO 4217 code")
  .toLowerCase()
  .openapi({ example: "usd" });

const Minor = z.number().int().openapi({ description: "Minor units of `currency`" });
const Url = z.url({ protocol: /^https?$/ }).max(2000);

export const BalanceSchema = z
  .object({
    currency: z.string(),
    available: Minor.openapi({ description: "What can be spent now (minor units)" }),
    held: Minor.openapi({ description: "Held for calls in flight (minor units)" }),
  })
  .openapi("WalletBalance");

export const WalletSchema = z.object({ balances: z.array(BalanceSchema) }).openapi("Wallet");

export const LedgerEntrySchema = z
  .object({
    id: z.string(),
    type: z.enum(LEDGER_TYPES),
    amount: Minor.openapi({
      description:
        "Signed: the change to the balance (available + held); for a hold or a release, the change to available",
    }),
    currency: z.string(),
    balance_after: Minor.openapi({ description: "available_after + held_after" }),
    available_after: Minor,
    held_after: Minor,
    reference: z
      .string()
      .openapi({ description: "A run id, a provider payment id, an adjustment id" }),
    memo: z.string().nullable(),
    created_at: z.iso.datetime(),
  })
  .openapi("WalletTransaction");

export const TransactionList = z
  .object({ data: z.array(LedgerEntrySchema), next_cursor: z.string().nullable() })
  .openapi("WalletTransactions");

export const TransactionQuery = z.object(PageQuery);

export const TopUpInput = z
  .object({
    amount: z.number().int().positive().openapi({ description: "Minor units of `currency`" }),
    currency: Currency,
    provider: z.enum(PAID_PROVIDERS),
    success_url: Url,
    cancel_url: Url,
    save_card: z
      .boolean()
      .default(false)
      .openapi({ description: "Stripe only: keep the card for auto-recharge" }),
  })
  .openapi("TopUpInput");

export const TopUpSchema = z
  .object({
    id: z.string(),
    provider: z.enum(PAID_PROVIDERS),
    checkout_url: z.string().openapi({ description: "Send the buyer here to pay" }),
  })
  .openapi("TopUp");

export const AutoRechargeInput = z
  .object({
    enabled: z.boolean(),
    threshold: z
      .number()
      .int()
      .min(0)
      .openapi({ description: "Recharge when available falls below this" }),
    amount: z.number().int().positive().openapi({ description: "What to charge (minor units)" }),
    currency: Currency,
  })
  .openapi("AutoRechargeInput");

export const AutoRechargeSchema = AutoRechargeInput.extend({
  pending: z.boolean().openapi({ description: "A recharge is being charged and not yet credited" }),
}).openapi("AutoRecharge");

export const LowBalanceAlertInput = z
  .object({
    currency: Currency,
    threshold: z.number().int().min(1).nullable().openapi({
      description:
        "Notify when a movement takes available from at least this to below it (minor units); null stops the alerts in `currency`",
    }),
  })
  .openapi("LowBalanceAlertInput");

export const LowBalanceAlertsSchema = z
  .object({
    thresholds: z.array(
      z.object({ currency: z.string(), threshold: Minor.openapi({ description: "Minor units" }) }),
    ),
  })
  .openapi("LowBalanceAlerts");

export const AdjustmentInput = z
  .object({
    amount: z
      .number()
      .int()
      .refine((n) => n !== 0, "must not be 0")
      .openapi({ description: "Signed minor units: positive credits, negative debits" }),
    currency: Currency,
    reason: z.string().trim().min(1).max(500),
  })
  .openapi("WalletAdjustmentInput");

export const AdminWalletSchema = z
  .object({
    user_id: z.string(),
    balances: z.array(BalanceSchema),
    auto_recharge: AutoRechargeSchema.nullable(),
    transactions: z.array(LedgerEntrySchema).openapi({ description: "The newest 20" }),
  })
  .openapi("AdminWallet");

export const AdminWalletListQuery = z.object({
  ...PageQuery,
  q: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .optional()
    .openapi({ description: "Part of the email, or a user id" }),
});

export const AdminWalletList = z
  .object({
    data: z.array(
      z.object({
        user_id: z.string(),
        email: z.string(),
        balances: z.array(BalanceSchema),
        updated_at: z.iso.datetime(),
      }),
    ),
    next_cursor: z.string().nullable(),
  })
  .openapi("AdminWallets");

export const UserIdParam = z.object({
  id: z
    .string()
    .regex(/^usr_[0-9a-z]+$/)
    .openapi({ param: { name: "id", in: "path" } }),
});

export const WalletExportSchema = z
  .object({
    balances: z.array(BalanceSchema),
    transactions: z
      .array(LedgerEntrySchema)
      .openapi({ description: "The whole ledger, newest first" }),
    top_ups: z.array(
      z.object({
        id: z.string(),
        kind: z.enum(TOP_UP_KINDS),
        provider: z.enum(PAID_PROVIDERS),
        amount: Minor,
        currency: z.string(),
        status: z.enum(TOP_UP_STATUSES),
        payment_id: z.string().nullable(),
        created_at: z.iso.datetime(),
        completed_at: z.iso.datetime().nullable(),
      }),
    ),
  })
  .openapi({ description: "The wallet: balances, every ledger entry, and top-ups" });
