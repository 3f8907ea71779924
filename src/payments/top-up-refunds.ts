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

/**
 * Refunds `amount` of a top-up: out of the wallet, then through the provider, at most once per
 * reference (the wallet entry's and the provider's idempotency key). A definite refusal puts the
 * money back; an unknown outcome (no answer, a 5xx) keeps it out and answers 502
 * provider_outcome_unknown naming the reference, to be retried with it (`retryOf`).
 */
export async function refundTopUp(
  ctx: ServiceContext,
  payment: Payment,
  amount: number,
  reason: string | undefined,
  retryOf?: string,
): Promise<{ refundId: string }> {
  const money = { amount, currency: payment.currency };
  // Each attempt is its own ledger entry: a refused attempt is undone and can be tried again;
  // one with an unknown outcome is retried under its reference.
  const reference = retryOf ?? `${payment.id}:${crypto.randomUUID()}`;
  if (!reference.startsWith(`${payment.id}:`)) {
    throw new ApiError("invalid_request", "This reference is not one of this payment's refunds", {
      errors: [{ path: "reference", message: "Not a reference of this payment" }],
    });
  }
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
  if (taken.outcome === "duplicate" && taken.entry.amount !== -amount) {
    throw new ApiError("conflict", "This reference refunded another amount", {
      extensions: { reference },
    });
  }
  try {
    // Top-ups are paid through PayPal orders (a capture) or Stripe (a PaymentIntent).
    if (payment.provider === "paypal") {
      const capture = { id: payment.providerPaymentId, ...money, reason };
      return await refundCapture(ctx.config, capture, reference);
    }
    return await providerFor("stripe", ctx.config).refund(payment, amount, reason, reference);
  } catch (error) {
    if (error instanceof ApiError && error.code === "provider_outcome_unknown") {
      throw new ApiError(
        "provider_outcome_unknown",
        "The provider did not answer: the amount stays out of the wallet until a retry with this reference says whether it was refunded",
        { extensions: { reference } },
      );
    }
    // A refusal (or a retry of a refused reference): the money goes back, once.
    await moveFunds(ctx, payment.userId, {
      type: "refund",
      money,
      reference: `${reference}:undone`,
      memo: "the provider did not refund",
    });
    throw error;
  }
}
