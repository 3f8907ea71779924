// Reading a wallet: balances and the ledger come from the user's object, which is the truth and
// holds the whole ledger; D1's copy can be seconds behind (it is flushed by the object's alarm),
// so a user who just topped up or ran a priced call sees it here at once. No D1 query.
import { desc, eq } from "drizzle-orm";
import { walletTopUps } from "../db/schema";
import type { Env } from "../env";
import type { ServiceContext } from "../lib/context";
import { decodeCursor, encodeCursor } from "../lib/pagination";
import { iso } from "../lib/time";
import {
  autoRecharge,
  lowBalanceThresholds,
  walletBalances,
  walletEntries,
} from "../ratelimit/client";
import type { AutoRechargeSettings, LedgerEntry, LowBalanceChange } from "../ratelimit/messages";

export function entryView(entry: LedgerEntry) {
  return {
    id: entry.id,
    type: entry.type,
    amount: entry.amount,
    currency: entry.currency,
    balance_after: entry.available_after + entry.held_after,
    available_after: entry.available_after,
    held_after: entry.held_after,
    reference: entry.reference,
    memo: entry.memo,
    created_at: iso(entry.created_at),
  };
}

export async function walletOf(env: Env, userId: string) {
  return { balances: await walletBalances(env, userId) };
}

/**
 * One page of the ledger, newest first. The cursor carries the object's sequence number of the
 * last entry shown (and its id), so pages never skip or repeat an entry however many are added.
 */
export async function transactionsOf(
  env: Env,
  userId: string,
  query: { limit: number; cursor?: string | undefined },
) {
  const cursor = decodeCursor(query.cursor);
  const rows = await walletEntries(env, userId, query.limit + 1, cursor ? cursor.createdAt : null);
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    data: page.map(entryView),
    next_cursor:
      rows.length > query.limit && last ? encodeCursor({ createdAt: last.seq, id: last.id }) : null,
  };
}

const NO_RECHARGE: AutoRechargeSettings & { pending: boolean } = {
  enabled: false,
  threshold: 0,
  amount: 0,
  currency: "usd",
  pending: false,
};

/** The user's auto-recharge settings (disabled until set) and whether a recharge is in flight. */
export async function autoRechargeOf(env: Env, userId: string) {
  const settings = await autoRecharge(env, userId);
  if (!settings) return null;
  return { ...settings, pending: settings.pending !== null };
}

export async function autoRechargeView(env: Env, userId: string) {
  return (await autoRechargeOf(env, userId)) ?? NO_RECHARGE;
}

/** The user's low-balance alert thresholds, after setting (or clearing) one when `change` is given. */
export async function lowBalanceAlerts(
  env: Env,
  userId: string,
  change: LowBalanceChange | null = null,
) {
  return { thresholds: await lowBalanceThresholds(env, userId, change) };
}

/** Entries read from the object per call when the whole ledger is wanted (the export). */
const EXPORT_PAGE = 1000;

/** The user's wallet for their data export: balances and the whole ledger from the object. */
export async function walletExport(ctx: Pick<ServiceContext, "db" | "env">, userId: string) {
  const entries: LedgerEntry[] = [];
  let before: number | null = null;
  for (;;) {
    const page = await walletEntries(ctx.env, userId, EXPORT_PAGE, before);
    entries.push(...page);
    const last = page.at(-1);
    if (!last || page.length < EXPORT_PAGE) break;
    before = last.seq;
  }
  const topUps = await ctx.db
    .select()
    .from(walletTopUps)
    .where(eq(walletTopUps.userId, userId))
    .orderBy(desc(walletTopUps.createdAt));
  return {
    balances: await walletBalances(ctx.env, userId),
    transactions: entries.map(entryView),
    top_ups: topUps.map((t) => ({
      id: t.id,
      kind: t.kind,
      provider: t.provider,
      amount: t.amount,
      currency: t.currency,
      status: t.status,
      payment_id: t.paymentId,
      created_at: iso(t.createdAt),
      completed_at: iso(t.completedAt),
    })),
  };
}
