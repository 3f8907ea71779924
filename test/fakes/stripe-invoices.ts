// Invoices as Stripe's invoice.* events carry them (the fake API has no invoice endpoints:
// tollgate only receives invoices).
import { DAY_SECONDS, fakeId, type Json, nowSeconds } from "./stripe-wire";

export interface InvoiceInput {
  id?: string;
  customer: string;
  subscription: string | null;
  /** The subscription's metadata snapshot, as Stripe copies it onto the invoice. */
  subscriptionMetadata?: Record<string, string>;
  amount: number;
  currency?: string;
  paid?: boolean;
  charge?: string | null;
  /** Seconds. */
  periodStart?: number;
  periodEnd?: number;
  attempt?: number;
  /** Why Stripe made it: `subscription_cycle` (a renewal, the default) or `subscription_create`. */
  billingReason?: string;
}

export function invoiceObject(input: InvoiceInput): Json {
  const id = input.id ?? fakeId("in");
  const start = input.periodStart ?? nowSeconds();
  const end = input.periodEnd ?? start + 30 * DAY_SECONDS;
  const paid = input.paid ?? true;
  return {
    id,
    object: "invoice",
    customer: input.customer,
    currency: input.currency ?? "usd",
    status: paid ? "paid" : "open",
    amount_due: input.amount,
    amount_paid: paid ? input.amount : 0,
    amount_remaining: paid ? 0 : input.amount,
    attempt_count: input.attempt ?? 1,
    billing_reason: input.billingReason ?? "subscription_cycle",
    hosted_invoice_url: `https://invoice.stripe.fake/i/${id}`,
    // Invoices are created at the start of the period they bill; the line has the period.
    period_start: start,
    period_end: start,
    parent: input.subscription
      ? {
          type: "subscription_details",
          subscription_details: {
            subscription: input.subscription,
            metadata: input.subscriptionMetadata ?? {},
          },
        }
      : null,
    lines: {
      object: "list",
      data: [{ id: `il_${id.slice(3)}`, amount: input.amount, period: { start, end } }],
    },
    payments: {
      object: "list",
      data:
        input.charge === null
          ? []
          : [
              {
                id: `inpay_${id.slice(3)}`,
                object: "invoice_payment",
                payment: { type: "charge", charge: input.charge ?? `ch_${id.slice(3)}` },
                status: paid ? "paid" : "open",
              },
            ],
    },
    last_finalization_error: null,
  };
}
