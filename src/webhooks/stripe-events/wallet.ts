// Stripe events that move money into wallets: a top-up's Checkout Session paid, an auto-recharge's
// PaymentIntent succeeded or failed. Each credits the user's object (once per PaymentIntent) and
// answers the D1 rows to write with the event's "processed".
import { idOf } from "../../payments/stripe-api";
import { RECHARGE_KIND } from "../../wallets/auto-recharge";
import { creditConfirmed, recordRechargeFailed } from "../../wallets/credits";
import { TOP_UP_KIND } from "../../wallets/top-ups";
import type { EventHandler } from "../types";
import { customerStatement, effect, type Metadata, objectOf, type Ref } from "./common";

interface PaidSessionLike {
  id: string;
  payment_status?: string;
  payment_intent?: Ref;
  customer?: Ref;
  amount_total?: number | null;
  currency?: string | null;
  metadata?: Metadata;
}

interface PaymentIntentLike {
  id: string;
  amount_received?: number;
  currency: string;
  metadata?: Metadata;
  last_payment_error?: { code?: string; message?: string } | null;
}

/** Whether a Checkout Session is a wallet top-up (else it is a subscription's checkout). */
export const isTopUpSession = (payload: unknown): boolean =>
  objectOf<PaidSessionLike>(payload).data.object.metadata?.tollgate_kind === TOP_UP_KIND;

/** checkout.session.completed / async_payment_succeeded of a top-up: credited once it is paid. */
export const topUpSessionPaid: EventHandler = async (ctx, payload) => {
  const session = objectOf<PaidSessionLike>(payload).data.object;
  const intent = idOf(session.payment_intent);
  if (session.payment_status !== "paid" || !intent || !session.amount_total || !session.currency) {
    return effect([]);
  }
  const credit = await creditConfirmed(ctx, {
    provider: "stripe",
    topUpId: session.metadata?.top_up_id ?? null,
    providerOrderId: session.id,
    providerPaymentId: intent,
    amount: session.amount_total,
    currency: session.currency,
  });
  const customer = idOf(session.customer);
  const remember =
    credit.userId && customer ? [customerStatement(ctx.db, credit.userId, customer, ctx.now)] : [];
  return effect([...credit.statements, ...remember]);
};

/** payment_intent.succeeded of an auto-recharge: credited like a top-up. */
export const rechargeSucceeded: EventHandler = async (ctx, payload) => {
  const intent = objectOf<PaymentIntentLike>(payload).data.object;
  if (intent.metadata?.tollgate_kind !== RECHARGE_KIND || !intent.amount_received)
    return effect([]);
  const credit = await creditConfirmed(ctx, {
    provider: "stripe",
    topUpId: intent.metadata.top_up_id ?? null,
    providerOrderId: null,
    providerPaymentId: intent.id,
    amount: intent.amount_received,
    currency: intent.currency,
  });
  return effect(credit.statements);
};

/** payment_intent.payment_failed of an auto-recharge: failed, so another may start. */
export const rechargeFailed: EventHandler = async (ctx, payload) => {
  const intent = objectOf<PaymentIntentLike>(payload).data.object;
  if (intent.metadata?.tollgate_kind !== RECHARGE_KIND) return effect([]);
  const reason = intent.last_payment_error?.code ?? "payment failed";
  return effect(
    await recordRechargeFailed(
      ctx,
      { topUpId: intent.metadata.top_up_id ?? null, providerOrderId: null },
      reason,
    ),
  );
};
