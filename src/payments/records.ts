// How a provider's report of a charge changes our payment records.
import { and, eq, sql } from "drizzle-orm";
import type { Db, Statement } from "../db";
import { type Payment, payments } from "../db/schema";
import type { PaidProvider } from "./provider";

/** A refund reported by the provider: `totalRefunded` is the charge's refunded total so far. */
export function recordRefundStatement(
  db: Db,
  provider: PaidProvider,
  providerPaymentId: string,
  totalRefunded: number,
  now: number,
): Statement {
  return db
    .update(payments)
    .set({
      amountRefunded: sql`max(${payments.amountRefunded}, ${totalRefunded})`,
      status: sql`case when max(${payments.amountRefunded}, ${totalRefunded}) >= ${payments.amount} then 'refunded' else 'partially_refunded' end`,
      updatedAt: now,
    })
    .where(and(eq(payments.provider, provider), eq(payments.providerPaymentId, providerPaymentId)));
}

export async function findPaymentByProviderId(
  db: Db,
  provider: PaidProvider,
  providerPaymentId: string,
): Promise<Payment | null> {
  return (
    (await db.query.payments.findFirst({
      where: and(
        eq(payments.provider, provider),
        eq(payments.providerPaymentId, providerPaymentId),
      ),
    })) ?? null
  );
}
