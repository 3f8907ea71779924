// Refunding a wallet top-up: the amount leaves the wallet first (refused with 409 when it has been
// spent: the available balance is below it), then the provider refunds it; if the provider
// refuses, the amount goes back into the wallet. Money never leaves twice, and a wallet never
// keeps money that was refunded.
import { eq } from "drizzle-orm";
import type { Db } from "../db";
import { type Payment, walletTopUps } from "../db/schema";
import type { ServiceContext } from "../lib/context";
import { ApiError } from "../lib/errors";
import { moveFunds } from "../ratelimit/client";
import { refundCapture } from "./paypal-orders";
import { providerFor } from "./providers";

/** The wallet top-up a payment paid for, if it is one. */
export async function topUpOfPayment(db: Db, paymentId: string) {
  return (
    (await db.query.walletTopUps.findFirst({ where: eq(walletTopUps.paymentId, paymentId) })) ??
    null
  );
}

export async function refundTopUp(
  ctx: ServiceContext,
  payment: Payment,
  amount: number,
  reason: string | undefined,
): Promise<{ refundId: string }> {
  const money = { amount, currency: payment.currency };
  // Each attempt is its own ledger entry: a refused attempt is undone and can be tried again.
  const reference = `${payment.id}:${crypto.randomUUID()}`;
  const taken = await moveFunds(ctx, payment.userId, {
    type: "refund",
    money: { ...money, amount: -amount },
    reference,
    memo: reason ?? null,
  });
  if (taken.outcome === "insufficient_funds") {
    throw new ApiError(
      "conflict",
      `The wallet holds ${taken.balance.available} ${payment.currency.toUpperCase()} available: the top-up has been spent, so ${amount} cannot be refunded`,
    );
  }
  try {
    // Top-ups are paid through PayPal orders (a capture) or Stripe (a PaymentIntent).
    if (payment.provider === "paypal") {
      return await refundCapture(ctx.config, { id: payment.providerPaymentId, ...money, reason });
    }
    return await providerFor("stripe", ctx.config).refund(payment, amount, reason);
  } catch (error) {
    await moveFunds(ctx, payment.userId, {
      type: "refund",
      money,
      reference: `${reference}:undone`,
      memo: "the provider did not refund",
    });
    throw error;
  }
}
