import { and, eq } from "drizzle-orm";
import { auditInsert } from "../audit/audit";
import type { Db } from "../db";
import { type Payment, payments } from "../db/schema";
import { msg } from "../i18n";
import type { ServiceContext } from "../lib/context";
import { ApiError, notFound } from "../lib/errors";
import { keysetPage } from "../lib/pagination";
import { iso } from "../lib/time";
import { providerFor } from "./providers";
import { recordRefundStatement } from "./records";

export function paymentView(payment: Payment) {
  return {
    id: payment.id,
    subscription_id: payment.subscriptionId,
    provider: payment.provider,
    amount: payment.amount,
    amount_refunded: payment.amountRefunded,
    currency: payment.currency,
    status: payment.status,
    period_start: iso(payment.periodStart),
    period_end: iso(payment.periodEnd),
    receipt_url: payment.receiptUrl,
    failure_reason: payment.failureReason,
    created_at: iso(payment.createdAt),
  };
}

export async function listPayments(
  db: Db,
  filter: { userId?: string | undefined; status?: Payment["status"] | undefined },
  query: { limit: number; cursor?: string | undefined },
) {
  const { items, next_cursor: nextCursor } = await keysetPage(
    query,
    ({ after, orderBy, limit }) =>
      db
        .select()
        .from(payments)
        .where(
          and(
            after,
            filter.userId ? eq(payments.userId, filter.userId) : undefined,
            filter.status ? eq(payments.status, filter.status) : undefined,
          ),
        )
        .orderBy(...orderBy)
        .limit(limit),
    { time: payments.createdAt, id: payments.id, timeOf: (row) => row.createdAt },
  );
  return { items, nextCursor };
}

/** One payment; another user's payment is "not found", exactly like one that does not exist. */
export async function getPayment(db: Db, id: string, ownerId?: string): Promise<Payment> {
  const payment = await db.query.payments.findFirst({
    where: ownerId ? and(eq(payments.id, id), eq(payments.userId, ownerId)) : eq(payments.id, id),
  });
  if (!payment) throw notFound("Payment");
  return payment;
}

/**
 * Refunds through the provider (full by default, or part), then records it with an audit row
 * in one batch. The provider's own refund event later reports the same total: recording takes
 * the larger of the two, so it is counted once.
 */
export async function refundPayment(
  { db, config, now }: ServiceContext,
  actorId: string,
  id: string,
  input: { amount?: number | undefined; reason?: string | undefined },
): Promise<Payment> {
  const payment = await getPayment(db, id);
  if (payment.provider === "manual")
    throw new ApiError("conflict", msg("problems.conflict.manual_refund"));
  if (payment.status === "failed")
    throw new ApiError("conflict", msg("problems.conflict.failed_payment_refund"));
  const refundable = payment.amount - payment.amountRefunded;
  const amount = input.amount ?? refundable;
  if (refundable <= 0) throw new ApiError("conflict", msg("problems.conflict.fully_refunded"));
  if (amount > refundable) {
    throw new ApiError(
      "invalid_request",
      msg("problems.invalid_request.refund_too_large", { refundable }),
      { errors: [{ path: "amount", message: msg("validation.at_most", { max: refundable }) }] },
    );
  }
  const { refundId } = await providerFor(payment.provider, config).refund(
    payment,
    amount,
    input.reason,
  );
  await db.batch([
    recordRefundStatement(
      db,
      payment.provider,
      payment.providerPaymentId,
      payment.amountRefunded + amount,
      now,
    ),
    auditInsert(
      db,
      {
        actorId,
        action: "payment.refund",
        targetType: "payment",
        targetId: payment.id,
        data: {
          amount,
          currency: payment.currency,
          reason: input.reason ?? null,
          refund_id: refundId,
        },
      },
      now,
    ),
  ]);
  return getPayment(db, id);
}
