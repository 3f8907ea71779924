// Stripe webhooks: signature verification (on receive) and the handlers the queue consumer
// applies. Handlers only read D1; every write is a statement in the effect, committed in one
// batch with marking the event processed.
import { and, eq, isNull, sql } from "drizzle-orm";
import Stripe from "stripe";
import type { Db, Statement } from "../db";
import {
  billingCustomers,
  couponRedemptions,
  coupons,
  type Plan,
  type Subscription,
  subscriptions,
  users,
} from "../db/schema";
import { outboxInsert } from "../email/outbox";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";
import type { ProviderSubscriptionState } from "../payments/provider";
import { findPaymentByProviderId, recordRefundStatement } from "../payments/records";
import { idOf, stripeClient } from "../payments/stripe-api";
import { type StripeSubscriptionLike, subscriptionState } from "../payments/stripe-state";
import { planById } from "../policy/current";
import {
  applyStateStatement,
  findSubscription,
  insertSubscriptionStatement,
  planForProviderPrice,
  recordPaymentStatements,
} from "../subscriptions/sync";
import type { EventContext, EventEffect, EventHandler, ProviderWebhooks } from "./types";
import { noEffect } from "./types";

/** How old a signed delivery may be (seconds): Stripe's own default. */
const SIGNATURE_TOLERANCE = 300;

type Ref = string | { id: string } | null | undefined;
type Metadata = Record<string, string> | null | undefined;

interface StripeEventLike<T> {
  id: string;
  type: string;
  created: number;
  data: { object: T };
}

interface CheckoutSessionLike {
  id: string;
  mode?: string;
  customer?: Ref;
  subscription?: Ref;
  client_reference_id?: string | null;
  metadata?: Metadata;
}

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

interface ChargeLike {
  id: string;
  amount: number;
  amount_refunded: number;
  payment_intent?: Ref;
}

function objectOf<T>(payload: unknown): StripeEventLike<T> {
  const event = payload as StripeEventLike<T> | null;
  if (!event || typeof event !== "object" || !event.data?.object) {
    throw new Error("not a Stripe event: data.object is missing");
  }
  return event;
}

const effect = (
  statements: Statement[],
  syncUsers: (string | null | undefined)[] = [],
  emails: string[] = [],
): EventEffect => ({
  statements,
  syncUsers: [...new Set(syncUsers.filter((u): u is string => !!u))],
  emails,
});

async function userForCustomer(db: Db, customerId: string | null): Promise<string | null> {
  if (!customerId) return null;
  const row = await db.query.billingCustomers.findFirst({
    where: and(
      eq(billingCustomers.provider, "stripe"),
      eq(billingCustomers.customerId, customerId),
    ),
  });
  return row?.userId ?? null;
}

async function userExists(db: Db, userId: string): Promise<boolean> {
  const row = await db.select({ id: users.id }).from(users).where(eq(users.id, userId)).get();
  return !!row;
}

/** Remembers the user's Stripe customer; a user keeps the first one. */
function customerStatement(db: Db, userId: string, customerId: string, now: number): Statement {
  return db
    .insert(billingCustomers)
    .values({ userId, provider: "stripe", customerId, createdAt: now })
    .onConflictDoNothing();
}

/**
 * Our subscription for a Stripe one: by its Stripe id, else by the id we put in its metadata at
 * checkout — unless that record is bound to another Stripe subscription already.
 */
async function ourSubscription(
  db: Db,
  providerSubscriptionId: string | null,
  metadata: Metadata,
): Promise<Subscription | null> {
  const found = await findSubscription(db, {
    provider: "stripe",
    providerSubscriptionId,
    id: metadata?.tollgate_subscription_id ?? null,
  });
  if (found?.provider !== "stripe") return null;
  if (
    found.providerSubscriptionId &&
    providerSubscriptionId &&
    found.providerSubscriptionId !== providerSubscriptionId
  ) {
    return null;
  }
  return found;
}

/** The redemption of the subscription's coupon, once per user, and the coupon's new count. */
async function couponStatements(
  db: Db,
  couponId: string,
  userId: string,
  subscriptionId: string,
  now: number,
): Promise<Statement[]> {
  const coupon = await db.query.coupons.findFirst({ where: eq(coupons.id, couponId) });
  if (!coupon) return [];
  return [
    db
      .insert(couponRedemptions)
      .values({ id: newId("red"), couponId, userId, subscriptionId, createdAt: now })
      .onConflictDoNothing(),
    db
      .update(coupons)
      .set({
        timesRedeemed: sql`(select count(*) from coupon_redemptions where coupon_id = ${couponId})`,
        updatedAt: now,
      })
      .where(eq(coupons.id, couponId)),
  ];
}

interface SubscriptionSync {
  statements: Statement[];
  userId: string | null;
  subscriptionId: string | null;
  plan: Plan | null;
}

/**
 * What a Stripe subscription's state changes locally: our record moves to it (only when it is
 * newer than the state applied last), or a record is created for a subscription first seen.
 */
async function syncSubscription(
  db: Db,
  subscription: StripeSubscriptionLike,
  state: ProviderSubscriptionState,
  now: number,
): Promise<SubscriptionSync> {
  const metadata = subscription.metadata;
  const customerId = idOf(subscription.customer);
  const mapped = await planForProviderPrice(db, "stripe", state.providerPriceId);
  const ours = await ourSubscription(db, subscription.id, metadata);
  const statements: Statement[] = [];
  let userId: string | null;
  let subscriptionId: string;
  let couponId: string | null;
  let plan: Plan | null = mapped?.plan ?? null;

  if (ours) {
    userId = ours.userId;
    subscriptionId = ours.id;
    couponId = ours.couponId ?? metadata?.coupon_id ?? null;
    statements.push(applyStateStatement(db, ours, state, mapped, now));
    if (customerId && !ours.providerCustomerId) {
      statements.push(
        db
          .update(subscriptions)
          .set({ providerCustomerId: customerId })
          .where(and(eq(subscriptions.id, ours.id), isNull(subscriptions.providerCustomerId))),
      );
    }
    if (!plan) {
      plan = await planById(db, ours.planId);
    }
  } else {
    userId = metadata?.user_id ?? (await userForCustomer(db, customerId));
    if (!userId || !(await userExists(db, userId))) {
      console.warn(
        JSON.stringify({
          msg: "stripe subscription for no known user",
          subscription: subscription.id,
        }),
      );
      return { statements: [], userId: null, subscriptionId: null, plan };
    }
    if (!mapped) {
      // Which plan it buys is unknown: keep nothing rather than guess (the event stays stored).
      console.warn(
        JSON.stringify({
          msg: "stripe subscription with an unknown price",
          subscription: subscription.id,
          price: state.providerPriceId,
        }),
      );
      return { statements: [], userId, subscriptionId: null, plan };
    }
    // Keep the id the checkout chose when no record holds it.
    const wanted = metadata?.tollgate_subscription_id;
    const free = wanted
      ? !(await db.query.subscriptions.findFirst({ where: eq(subscriptions.id, wanted) }))
      : false;
    const inserted = insertSubscriptionStatement(
      db,
      {
        ...(wanted && free ? { id: wanted } : {}),
        userId,
        provider: "stripe",
        providerCustomerId: customerId,
        state,
        plan: mapped.plan,
        interval: mapped.interval,
      },
      now,
    );
    subscriptionId = inserted.id;
    couponId = metadata?.coupon_id ?? null;
    statements.push(inserted.statement);
    if (couponId) {
      statements.push(
        db
          .update(subscriptions)
          .set({ couponId })
          .where(and(eq(subscriptions.id, subscriptionId), isNull(subscriptions.couponId))),
      );
    }
  }

  if (customerId) statements.push(customerStatement(db, userId, customerId, now));
  if (couponId && (state.status === "trialing" || state.status === "active")) {
    statements.push(...(await couponStatements(db, couponId, userId, subscriptionId, now)));
  }
  return { statements, userId, subscriptionId, plan };
}

const checkoutCompleted: EventHandler = async ({ db, now }, payload) => {
  const session = objectOf<CheckoutSessionLike>(payload).data.object;
  const metadata = session.metadata;
  const userId = metadata?.user_id ?? session.client_reference_id ?? null;
  const customerId = idOf(session.customer);
  const providerSubscriptionId = idOf(session.subscription);
  const statements: Statement[] = [];
  if (userId && customerId && (await userExists(db, userId))) {
    statements.push(customerStatement(db, userId, customerId, now));
  }
  const ourId = metadata?.tollgate_subscription_id;
  const ours = ourId ? await findSubscription(db, { provider: "stripe", id: ourId }) : null;
  // Bound already (by a subscription event that came first), or held by another record.
  const held =
    providerSubscriptionId &&
    (await findSubscription(db, { provider: "stripe", providerSubscriptionId }));
  if (
    ours &&
    ours.provider === "stripe" &&
    !ours.providerSubscriptionId &&
    providerSubscriptionId &&
    !held
  ) {
    statements.push(
      db
        .update(subscriptions)
        .set({
          providerSubscriptionId,
          providerCustomerId: sql`coalesce(${subscriptions.providerCustomerId}, ${customerId})`,
          updatedAt: now,
        })
        .where(and(eq(subscriptions.id, ours.id), isNull(subscriptions.providerSubscriptionId))),
    );
  }
  return effect(statements, [ours?.userId ?? userId]);
};

const subscriptionChanged =
  (deleted: boolean): EventHandler =>
  async ({ db, now, event }, payload) => {
    const subscription = objectOf<StripeSubscriptionLike>(payload).data.object;
    const state = subscriptionState(subscription, event.occurredAt);
    // A deleted subscription has ended whatever its last status said.
    if (deleted && state.status !== "expired") state.status = "canceled";
    const sync = await syncSubscription(db, subscription, state, now);
    return effect(sync.statements, [sync.userId]);
  };

const trialWillEnd: EventHandler = async ({ db, now }, payload) => {
  const subscription = objectOf<StripeSubscriptionLike>(payload).data.object;
  const ours = await ourSubscription(db, subscription.id, subscription.metadata);
  const userId = ours?.userId ?? subscription.metadata?.user_id ?? null;
  if (!userId) return noEffect();
  const user = await db.query.users.findFirst({ where: eq(users.id, userId) });
  if (user?.status !== "active") return noEffect();
  const price = idOf(subscription.items?.data[0]?.price);
  const plan =
    (await planForProviderPrice(db, "stripe", price))?.plan ??
    (ours ? await planById(db, ours.planId) : null);
  const trialEnd = subscription.trial_end ?? null;
  const email = outboxInsert(
    db,
    {
      userId,
      to: user.email,
      template: "trial_ending",
      vars: {
        plan: plan?.name ?? "paid",
        trialEnd: trialEnd ? new Date(trialEnd * 1000).toISOString().slice(0, 10) : "soon",
      },
    },
    now,
  );
  return effect([email.statement], [], [email.id]);
};

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
    const stripe = stripeClient(context.config);
    if (!stripe) throw new ApiError("provider_unavailable", "Stripe is not configured");
    const subscription = (await stripe.subscriptions.retrieve(
      providerSubscriptionId,
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

const invoicePaid: EventHandler = async (context, payload) => {
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

const invoicePaymentFailed: EventHandler = async (context, payload) => {
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
          plan: owner.plan?.name ?? "paid",
          amount: formatMoney(invoice.amount_due, invoice.currency),
        },
      },
      now,
    );
    statements.push(email.statement);
    emails.push(email.id);
  }
  return effect(statements, [owner.userId], emails);
};

const chargeRefunded: EventHandler = async ({ db, now }, payload) => {
  const charge = objectOf<ChargeLike>(payload).data.object;
  // Recorded under the charge, or under its PaymentIntent when the invoice named only that.
  let paymentId: string | null = charge.id;
  if (!(await findPaymentByProviderId(db, "stripe", charge.id))) {
    const intent = idOf(charge.payment_intent);
    paymentId = intent && (await findPaymentByProviderId(db, "stripe", intent)) ? intent : null;
  }
  if (!paymentId) {
    console.warn(
      JSON.stringify({ msg: "refund of an unrecorded stripe charge", charge: charge.id }),
    );
    return noEffect();
  }
  return effect([recordRefundStatement(db, "stripe", paymentId, charge.amount_refunded, now)]);
};

export const stripeWebhooks: ProviderWebhooks = {
  provider: "stripe",
  verifier: {
    async verify(request, rawBody, config) {
      const header = request.headers.get("stripe-signature");
      const secret = config.STRIPE_WEBHOOK_SECRET;
      if (!header || !secret) throw new ApiError("invalid_signature");
      let event: { id?: unknown; type?: unknown; created?: unknown };
      try {
        event = await Stripe.webhooks.constructEventAsync(
          rawBody,
          header,
          secret,
          SIGNATURE_TOLERANCE,
          Stripe.createSubtleCryptoProvider(),
        );
      } catch {
        throw new ApiError("invalid_signature");
      }
      if (
        typeof event.id !== "string" ||
        typeof event.type !== "string" ||
        typeof event.created !== "number"
      ) {
        throw new ApiError("invalid_request", "The body is not a Stripe event");
      }
      return { providerEventId: event.id, type: event.type, occurredAt: event.created * 1000 };
    },
  },
  handlers: {
    "checkout.session.completed": checkoutCompleted,
    "customer.subscription.created": subscriptionChanged(false),
    "customer.subscription.updated": subscriptionChanged(false),
    "customer.subscription.deleted": subscriptionChanged(true),
    "customer.subscription.trial_will_end": trialWillEnd,
    "invoice.paid": invoicePaid,
    "invoice.payment_failed": invoicePaymentFailed,
    "charge.refunded": chargeRefunded,
  },
};
