// A provider confirmed a payment into a wallet (a top-up, or an auto-recharge): the user's object
// credits it first, keyed by the provider's payment id, so however many times the event arrives
// the wallet is credited once; then D1 records it (a payment, the top-up completed), in the same
// batch as the event is marked processed. A failure before that batch retries the whole event;
// the credit then answers "duplicate" and the same rows are written.
import { and, eq, isNull, or } from "drizzle-orm";
import type { Statement } from "../db";
import { payments, type WalletTopUp, walletTopUps } from "../db/schema";
import type { ServiceContext } from "../lib/context";
import { newId } from "../lib/ids";
import type { PaidProvider } from "../payments/provider";
import { moveFunds, settleRecharge } from "../ratelimit/client";

export interface Confirmation {
  provider: PaidProvider;
  /** Our top-up id, as the provider carries it back (Stripe metadata, PayPal custom_id). */
  topUpId: string | null;
  /** The provider's order: the Checkout Session, PayPal order or PaymentIntent. */
  providerOrderId: string | null;
  /** What paid it, and what the wallet entry is keyed by: a PaymentIntent, a PayPal capture. */
  providerPaymentId: string;
  amount: number;
  currency: string;
}

export async function findTopUp(
  ctx: Pick<ServiceContext, "db">,
  provider: PaidProvider,
  ids: { topUpId: string | null; providerOrderId: string | null },
): Promise<WalletTopUp | null> {
  const byId = ids.topUpId ? eq(walletTopUps.id, ids.topUpId) : undefined;
  const byOrder = ids.providerOrderId
    ? eq(walletTopUps.providerOrderId, ids.providerOrderId)
    : undefined;
  if (!byId && !byOrder) return null;
  const row = await ctx.db.query.walletTopUps.findFirst({
    where: and(eq(walletTopUps.provider, provider), or(byId, byOrder)),
  });
  return row ?? null;
}

function log(msg: string, fields: Record<string, unknown>): void {
  console.warn(JSON.stringify({ msg, ...fields }));
}

/**
 * Credits a confirmed payment to the wallet of the top-up it pays and answers the statements
 * that record it in D1 (none when it pays no top-up of ours), and the user.
 */
export async function creditConfirmed(
  ctx: ServiceContext,
  confirmed: Confirmation,
): Promise<{ statements: Statement[]; userId: string | null }> {
  const topUp = await findTopUp(ctx, confirmed.provider, confirmed);
  if (!topUp) {
    log("wallet payment without a top-up", { payment: confirmed.providerPaymentId });
    return { statements: [], userId: null };
  }
  const currency = confirmed.currency.toLowerCase();
  const credited = await moveFunds(ctx, topUp.userId, {
    type: topUp.kind,
    money: { amount: confirmed.amount, currency },
    reference: confirmed.providerPaymentId,
    memo: topUp.id,
  });
  if (credited.outcome === "insufficient_funds") throw new Error("a credit cannot be refused");
  if (topUp.rechargeReference) await settleRecharge(ctx.env, topUp.userId, topUp.rechargeReference);
  const paymentId = newId("pay");
  const { db, now } = ctx;
  return {
    userId: topUp.userId,
    statements: [
      db
        .insert(payments)
        .values({
          id: paymentId,
          userId: topUp.userId,
          provider: confirmed.provider,
          providerPaymentId: confirmed.providerPaymentId,
          amount: confirmed.amount,
          currency,
          status: "succeeded",
          createdAt: now,
          updatedAt: now,
        })
        .onConflictDoNothing(),
      db
        .update(walletTopUps)
        .set({
          status: "completed",
          providerPaymentId: confirmed.providerPaymentId,
          paymentId,
          completedAt: now,
        })
        .where(and(eq(walletTopUps.id, topUp.id), isNull(walletTopUps.paymentId))),
    ],
  };
}

/** A recharge the provider refused: marked failed, and the user's object may start another. */
export async function recordRechargeFailed(
  ctx: ServiceContext,
  ids: { topUpId: string | null; providerOrderId: string | null },
  reason: string,
): Promise<Statement[]> {
  const topUp = await findTopUp(ctx, "stripe", ids);
  if (topUp?.status !== "pending") return [];
  if (topUp.rechargeReference) await settleRecharge(ctx.env, topUp.userId, topUp.rechargeReference);
  log("auto-recharge failed", { user: topUp.userId, top_up: topUp.id, reason });
  return [
    ctx.db
      .update(walletTopUps)
      .set({ status: "failed", completedAt: ctx.now })
      .where(and(eq(walletTopUps.id, topUp.id), eq(walletTopUps.status, "pending"))),
  ];
}
