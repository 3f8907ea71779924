// invoice.paid and invoice.payment_failed: payments recorded against the invoice's subscription
// (fetched from Stripe first when its own event has not arrived), and the failed-payment email.
import { eq } from "drizzle-orm";
import type { Statement } from "../../db";
import { type Plan, users } from "../../db/schema";
import { outboxInsert } from "../../email/outbox";
import { ApiError } from "../../lib/errors";
import { call, idOf, stripeClient } from "../../payments/stripe-api";
import { type StripeSubscriptionLike, subscriptionState } from "../../payments/stripe-state";
import { planById } from "../../policy/current";
import { recordPaymentStatements } from "../../subscriptions/sync";
import { type EventContext, type EventHandler, noEffect } from "../types";
import {
  effect,
  type Metadata,
  objectOf,
  ourSubscription,
  type Ref,
  userExists,
  userForCustomer,
} from "./common";
import { syncSubscription } from "./sync";

/** Invoice fields across API versions: `charge`/`subscription` went away in 2025. */
interface InvoiceLike {
  id: string;
  customer?: Ref;
  currency: string;
  amount_paid: number;
  amount_due: number;
  attempt_count?: number;
  charge?: Ref;
  subscription?: Ref;
  payments?: { data: Array<{ payment?: { charge?: Ref; payment_intent?: Ref } | null }> } | null;
  parent?: {
    subscription_details?: { subscription?: Ref; metadata?: Metadata } | null;
  } | null;
  subscription_details?: { metadata?: Metadata } | null;
  lines?: {
    data: Array<{
      period?: { start: number; end: number } | null;
      subscription?: Ref;
      parent?: { subscription_item_details?: { subscription?: string | null } | null } | null;
    }>;
  } | null;
  period_start?: number | null;
  period_end?: number | null;
  hosted_invoice_url?: string | null;
  last_finalization_error?: { message?: string | null } | null;
}

const invoiceSubscriptionId = (invoice: InvoiceLike): string | null =>
  idOf(invoice.parent?.subscription_details?.subscription) ??
  idOf(invoice.subscription) ??
  idOf(invoice.lines?.data[0]?.subscription) ??
  invoice.lines?.data[0]?.parent?.subscription_item_details?.subscription ??
  null;

const invoiceMetadata = (invoice: InvoiceLike): Metadata =>
  invoice.parent?.subscription_details?.metadata ?? invoice.subscription_details?.metadata ?? null;

/** The charge a refund will refer to; a PaymentIntent when the invoice names only that. */
const invoicePaymentId = (invoice: InvoiceLike): string | null => {
  const payment = invoice.payments?.data[0]?.payment;
  return idOf(invoice.charge) ?? idOf(payment?.charge) ?? idOf(payment?.payment_intent) ?? null;
};

interface InvoiceOwner {
  statements: Statement[];
  userId: string;
  subscriptionId: string | null;
  plan: Plan | null;
}

/**
 * The user and subscription an invoice is for. An invoice can arrive before the event that
 * creates its subscription: then the subscription is fetched from Stripe and recorded first.
 */
async function invoiceOwner(
  context: EventContext,
  invoice: InvoiceLike,
): Promise<InvoiceOwner | null> {
  const { db, now } = context;
  const providerSubscriptionId = invoiceSubscriptionId(invoice);
  const metadata = invoiceMetadata(invoice);
  const ours = await ourSubscription(db, providerSubscriptionId, metadata);
  if (ours) {
    const plan = await planById(db, ours.planId);
    return { statements: [], userId: ours.userId, subscriptionId: ours.id, plan };
  }
  if (providerSubscriptionId) {
    const client = stripeClient(context.config);
    if (!client) throw new ApiError("provider_unavailable", "Stripe is not configured");
    const subscription = (await call(client, (stripe) =>
      stripe.subscriptions.retrieve(providerSubscriptionId),
    )) as unknown as StripeSubscriptionLike;
    // Fetched now: newer than any event about it sent before.
    const sync = await syncSubscription(
      db,
      subscription,
      subscriptionState(subscription, now),
      now,
    );
    if (sync.userId && sync.subscriptionId) {
      return {
        statements: sync.statements,
        userId: sync.userId,
        subscriptionId: sync.subscriptionId,
        plan: sync.plan,
      };
    }
  }
  const userId = metadata?.user_id ?? (await userForCustomer(db, idOf(invoice.customer)));
  if (!userId || !(await userExists(db, userId))) return null;
  return { statements: [], userId, subscriptionId: null, plan: null };
}

function invoicePeriod(invoice: InvoiceLike): {
  periodStart: number | null;
  periodEnd: number | null;
} {
  const line = invoice.lines?.data.find((l) => l.period) ?? null;
  const start = line?.period?.start ?? invoice.period_start ?? null;
  const end = line?.period?.end ?? invoice.period_end ?? null;
  return {
    periodStart: start === null ? null : start * 1000,
    periodEnd: end === null ? null : end * 1000,
  };
}

/** An amount in minor units as people read it: 2900 usd → "$29.00", 500 jpy → "¥500". */
export function formatMoney(amount: number, currency: string): string {
  try {
    const format = new Intl.NumberFormat("en-US", {
      style: "currency",
      currency: currency.toUpperCase(),
    });
    const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
    return format.format(amount / 10 ** digits);
  } catch {
    return `${(amount / 100).toFixed(2)} ${currency.toUpperCase()}`;
  }
}

export const invoicePaid: EventHandler = async (context, payload) => {
  const invoice = objectOf<InvoiceLike>(payload).data.object;
  // A trial's (or fully discounted) invoice moves no money: nothing to record.
  if (invoice.amount_paid <= 0) return noEffect();
  const owner = await invoiceOwner(context, invoice);
  if (!owner) return noEffect();
  const statements = [
    ...owner.statements,
    ...recordPaymentStatements(
      context.db,
      {
        provider: "stripe",
        providerPaymentId: invoicePaymentId(invoice) ?? invoice.id,
        providerInvoiceId: invoice.id,
        userId: owner.userId,
        subscriptionId: owner.subscriptionId,
        amount: invoice.amount_paid,
        currency: invoice.currency,
        status: "succeeded",
        ...invoicePeriod(invoice),
        receiptUrl: invoice.hosted_invoice_url ?? null,
        failureReason: null,
      },
      context.now,
    ),
  ];
  return effect(statements, [owner.userId]);
};

export const invoicePaymentFailed: EventHandler = async (context, payload) => {
  const { db, now } = context;
  const invoice = objectOf<InvoiceLike>(payload).data.object;
  const owner = await invoiceOwner(context, invoice);
  if (!owner) return noEffect();
  const statements = [
    ...owner.statements,
    ...recordPaymentStatements(
      db,
      {
        provider: "stripe",
        // Each attempt is its own row; without a charge id, the attempt number tells them apart
        // (and never collides with the invoice's eventual successful payment).
        providerPaymentId:
          invoicePaymentId(invoice) ?? `${invoice.id}:attempt_${invoice.attempt_count ?? 1}`,
        providerInvoiceId: invoice.id,
        userId: owner.userId,
        subscriptionId: owner.subscriptionId,
        amount: invoice.amount_due,
        currency: invoice.currency,
        status: "failed",
        ...invoicePeriod(invoice),
        receiptUrl: invoice.hosted_invoice_url ?? null,
        failureReason: invoice.last_finalization_error?.message ?? "payment_failed",
      },
      now,
    ),
  ];
  const emails: string[] = [];
  const user = await db.query.users.findFirst({ where: eq(users.id, owner.userId) });
  if (user && user.status === "active") {
    const email = outboxInsert(
      db,
      {
        userId: user.id,
        to: user.email,
        template: "payment_failed",
        vars: {
          plan: owner.plan?.name ?? null,
          amount: formatMoney(invoice.amount_due, invoice.currency),
        },
        locale: user.locale,
      },
      now,
    );
    statements.push(email.statement);
    emails.push(email.id);
  }
  return effect(statements, [owner.userId], emails);
};
