// Admins and wallets: one user's wallet (from their object), adjustments (audit-logged, never
// below zero), and the list of wallets from D1's copy, searchable by email or user id.
import { and, eq, exists, inArray, or, sql } from "drizzle-orm";
import { auditInsert } from "../audit/audit";
import { users, walletBalances } from "../db/schema";
import type { ServiceContext } from "../lib/context";
import { ApiError, notFound } from "../lib/errors";
import { newId } from "../lib/ids";
import { keysetPage } from "../lib/pagination";
import { iso } from "../lib/time";
import { walletBalances as balancesOf, moveFunds, walletEntries } from "../ratelimit/client";
import { autoRechargeOf, entryView } from "./service";

const RECENT = 20;

async function requireUser(ctx: Pick<ServiceContext, "db">, userId: string) {
  const user = await ctx.db.select({ id: users.id }).from(users).where(eq(users.id, userId)).get();
  if (!user) throw notFound("User");
}

export async function adminWallet(ctx: ServiceContext, userId: string) {
  await requireUser(ctx, userId);
  const [balances, recharge, entries] = await Promise.all([
    balancesOf(ctx.env, userId),
    autoRechargeOf(ctx.env, userId),
    walletEntries(ctx.env, userId, RECENT, null),
  ]);
  return {
    user_id: userId,
    balances,
    auto_recharge: recharge,
    transactions: entries.map(entryView),
  };
}

/**
 * Credits or debits the wallet by an admin's decision. The object applies it (a debit past the
 * available balance is refused, 409) and then the audit log records it; the ledger entry itself
 * carries the reason and the adjustment's id.
 */
export async function adjustWallet(
  ctx: ServiceContext,
  actorId: string,
  userId: string,
  input: { amount: number; currency: string; reason: string },
) {
  await requireUser(ctx, userId);
  const adjustmentId = newId("adj");
  const result = await moveFunds(ctx, userId, {
    type: "adjustment",
    money: { amount: input.amount, currency: input.currency },
    reference: adjustmentId,
    memo: input.reason,
  });
  if (result.outcome === "insufficient_funds") {
    throw new ApiError(
      "conflict",
      `The wallet holds ${result.balance.available} ${input.currency.toUpperCase()} available: it cannot go below zero`,
    );
  }
  await auditInsert(
    ctx.db,
    {
      actorId,
      action: "wallet.adjust",
      targetType: "user",
      targetId: userId,
      data: { ...input, adjustment_id: adjustmentId, entry_id: result.entry.id },
    },
    ctx.now,
  );
  return entryView(result.entry);
}

/** Users with a wallet, newest users first, from D1's copy of the balances. */
export async function listWallets(
  ctx: Pick<ServiceContext, "db">,
  query: { limit: number; cursor?: string | undefined; q?: string | undefined },
) {
  const { db } = ctx;
  const search = query.q?.toLowerCase();
  const page = await keysetPage(
    query,
    ({ after, orderBy, limit }) =>
      db
        .select({ id: users.id, email: users.email, createdAt: users.createdAt })
        .from(users)
        .where(
          and(
            after,
            exists(
              db
                .select({ one: sql`1` })
                .from(walletBalances)
                .where(eq(walletBalances.userId, users.id)),
            ),
            search
              ? or(eq(users.id, search), sql`instr(${users.email}, ${search}) > 0`)
              : undefined,
          ),
        )
        .orderBy(...orderBy)
        .limit(limit),
    { time: users.createdAt, id: users.id, timeOf: (row) => row.createdAt },
  );
  const ids = page.items.map((u) => u.id);
  const rows = ids.length
    ? await db.select().from(walletBalances).where(inArray(walletBalances.userId, ids))
    : [];
  return {
    data: page.items.map((user) => {
      const mine = rows.filter((r) => r.userId === user.id);
      return {
        user_id: user.id,
        email: user.email,
        balances: mine
          .map((r) => ({ currency: r.currency, available: r.available, held: r.held }))
          .sort((a, b) => a.currency.localeCompare(b.currency)),
        updated_at: iso(Math.max(...mine.map((r) => r.updatedAt))),
      };
    }),
    next_cursor: page.next_cursor,
  };
}
