// Charges and refunds for the fake Stripe API: the builder of a charge object (as charge.refunded
// events carry it), the charges a test says were paid, and refunds of them.
import {
  fakeId,
  invalid,
  type Json,
  metadataOf,
  missing,
  nowSeconds,
  num,
  type Params,
  str,
} from "./stripe-wire";

export function chargeObject(input: {
  id: string;
  amount: number;
  amountRefunded: number;
  currency?: string;
  paymentIntent?: string | null;
}): Json {
  return {
    id: input.id,
    object: "charge",
    amount: input.amount,
    amount_refunded: input.amountRefunded,
    refunded: input.amountRefunded >= input.amount,
    currency: input.currency ?? "usd",
    payment_intent: input.paymentIntent ?? null,
    status: "succeeded",
  };
}

export interface FakeCharge {
  id: string;
  amount: number;
  amount_refunded: number;
  payment_intent: string | null;
}

export class FakeRefunds {
  readonly charges = new Map<string, FakeCharge>();
  readonly refunds = new Map<string, Json>();

  addCharge(charge: { id: string; amount: number; paymentIntent?: string }): void {
    this.charges.set(charge.id, {
      id: charge.id,
      amount: charge.amount,
      amount_refunded: 0,
      payment_intent: charge.paymentIntent ?? null,
    });
  }

  /** POST /v1/refunds: of a charge, or of the charge of a PaymentIntent. */
  create(params: Params): Json {
    const chargeId = str(params.charge);
    const intent = str(params.payment_intent);
    const charge = chargeId
      ? this.charges.get(chargeId)
      : [...this.charges.values()].find((c) => intent && c.payment_intent === intent);
    if (!charge) throw missing(chargeId ? "charge" : "payment_intent", chargeId ?? intent ?? "");
    const amount = num(params.amount) ?? charge.amount - charge.amount_refunded;
    if (amount <= 0 || amount > charge.amount - charge.amount_refunded) {
      throw invalid(
        `Refund amount (${amount}) is greater than unrefunded amount on charge`,
        "amount",
        "amount_too_large",
      );
    }
    charge.amount_refunded += amount;
    const refund = {
      id: fakeId("re"),
      object: "refund",
      amount,
      charge: charge.id,
      payment_intent: charge.payment_intent,
      status: "succeeded",
      metadata: metadataOf(params.metadata),
      created: nowSeconds(),
    };
    this.refunds.set(refund.id, refund);
    return refund;
  }
}
