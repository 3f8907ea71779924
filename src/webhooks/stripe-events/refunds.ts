// charge.refunded: the charge's refunded total recorded on our payment.
import { findPaymentByProviderId, recordRefundStatement } from "../../payments/records";
import { idOf } from "../../payments/stripe-api";
import { type EventHandler, noEffect } from "../types";
import { effect, objectOf, type Ref } from "./common";

interface ChargeLike {
  id: string;
  amount: number;
  amount_refunded: number;
  payment_intent?: Ref;
}

export const chargeRefunded: EventHandler = async ({ db, now }, payload) => {
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
