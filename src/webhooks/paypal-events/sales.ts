// PAYMENT.SALE.*: a subscription's payments (sales) and their refunds and reversals.
import { and, eq, ne } from "drizzle-orm";
import { payments } from "../../db/schema";
import { fromPayPalValue } from "../../payments/paypal-money";
import { findPaymentByProviderId, recordRefundStatement } from "../../payments/records";
import { planById } from "../../policy/current";
import { paymentNotices } from "../../subscriptions/notices";
import { type PaymentReport, recordPaymentStatements } from "../../subscriptions/sync";
import type { EventHandler } from "../types";
import { ignored, moneyOf, ourSubscription, resourceOf, stringOr } from "./common";

/**
 * PAYMENT.SALE.COMPLETED: a subscription charge (billing_agreement_id is the PayPal subscription).
 * Recorded once: payments are unique on PayPal's sale id. A sale for a subscription tollgate does
 * not know throws, so the delivery is retried and, in the end, kept as failed for a replay —
 * money is never dropped silently.
 */
export const saleCompleted: EventHandler = async (context, payload) => {
  const sale = resourceOf(payload);
  const saleId = stringOr(sale.id);
  const money = moneyOf(sale.amount);
  if (!saleId || !money) throw new Error("PayPal sale without id or amount");
  const agreementId = stringOr(sale.billing_agreement_id);
  if (!agreementId) return ignored(context, `sale ${saleId} is not a subscription payment`);
  const subscription = await ourSubscription(context, agreementId, stringOr(sale.custom));
  if (!subscription) {
    throw new Error(`PayPal sale ${saleId} is for an unknown subscription ${agreementId}`);
  }
  const created = stringOr(sale.create_time);
  const periodStart = created ? Date.parse(created) : Number.NaN;
  const { db, now } = context;
  const report: PaymentReport = {
    provider: "paypal",
    providerPaymentId: saleId,
    providerInvoiceId: null,
    userId: subscription.userId,
    subscriptionId: subscription.id,
    amount: fromPayPalValue(money.total, money.currency),
    currency: money.currency,
    status: "succeeded",
    periodStart: Number.isNaN(periodStart) ? null : periodStart,
    periodEnd: null,
    receiptUrl: null,
    failureReason: null,
  };
  // PayPal says nothing of why it charged: a sale after an earlier one is a renewal.
  const [earlier, plan] = await Promise.all([
    db
      .select({ id: payments.id })
      .from(payments)
      .where(
        and(
          eq(payments.subscriptionId, subscription.id),
          eq(payments.status, "succeeded"),
          ne(payments.providerPaymentId, saleId),
        ),
      )
      .limit(1),
    planById(db, subscription.planId),
  ]);
  return {
    statements: recordPaymentStatements(db, report, now),
    syncUsers: [subscription.userId],
    emails: [],
    notices: paymentNotices(report, subscription, plan?.name ?? null, earlier.length > 0),
  };
};

/**
 * PAYMENT.SALE.REFUNDED (the resource is the refund) and PAYMENT.SALE.REVERSED (a chargeback or
 * reversal: the whole sale). The sale's refunded total is PayPal's `total_refunded_amount` when
 * given, else this refund's amount; recording keeps the larger of it and what tollgate has, so
 * a refund tollgate already recorded when it asked for it is not counted twice.
 */
export function refundHandler(reversal: boolean): EventHandler {
  return async (context, payload) => {
    const resource = resourceOf(payload);
    const saleId = stringOr(resource.sale_id) ?? stringOr(resource.id);
    if (!saleId) throw new Error("PayPal refund without a sale id");
    const payment = await findPaymentByProviderId(context.db, "paypal", saleId);
    // The sale's own event may not have been applied yet: retry later.
    if (!payment) throw new Error(`PayPal refund for sale ${saleId}, which is not recorded yet`);
    let total = payment.amount;
    if (!reversal) {
      const money = moneyOf(resource.total_refunded_amount) ?? moneyOf(resource.amount);
      if (!money) throw new Error(`PayPal refund for sale ${saleId} without an amount`);
      if (money.currency.toLowerCase() !== payment.currency.toLowerCase()) {
        throw new Error(`PayPal refund in ${money.currency} for a sale in ${payment.currency}`);
      }
      // Some refund payloads carry the amount as a negative number.
      total = Math.abs(fromPayPalValue(money.total, money.currency));
    }
    return {
      statements: [recordRefundStatement(context.db, "paypal", saleId, total, context.now)],
      syncUsers: [],
      emails: [],
    };
  };
}
