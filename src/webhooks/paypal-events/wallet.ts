// PayPal events that move money into wallets. A top-up is a PayPal order: once the buyer approves
// it (CHECKOUT.ORDER.APPROVED) tollgate captures it, and the capture completed (the capture's
// answer, or PAYMENT.CAPTURE.COMPLETED, whichever comes first) credits the wallet, once per capture.
import { captureOf, captureOrder, type PayPalCapture } from "../../payments/paypal-orders";
import { creditConfirmed, findTopUp } from "../../wallets/credits";
import type { EventContext, EventHandler } from "../types";
import { ignored, isRecord, resourceOf, stringOr } from "./common";

async function credit(context: EventContext, capture: PayPalCapture | null) {
  if (capture?.status !== "COMPLETED") return ignored(context, "capture not completed");
  const credited = await creditConfirmed(context, {
    provider: "paypal",
    topUpId: capture.customId,
    providerOrderId: capture.orderId,
    providerPaymentId: capture.id,
    amount: capture.amount,
    currency: capture.currency,
  });
  return { statements: credited.statements, syncUsers: [], emails: [] };
}

/** CHECKOUT.ORDER.APPROVED: captures a top-up's order (repeatable) and credits the capture. */
export const orderApproved: EventHandler = async (context, payload) => {
  const order = resourceOf(payload);
  const orderId = stringOr(order.id);
  const unit = Array.isArray(order.purchase_units) ? order.purchase_units[0] : null;
  const customId = isRecord(unit) ? stringOr(unit.custom_id) : null;
  const topUp = orderId
    ? await findTopUp(context, "paypal", { topUpId: customId, providerOrderId: orderId })
    : null;
  if (!orderId || !topUp || topUp.providerOrderId !== orderId) {
    return ignored(context, "not a wallet top-up");
  }
  return credit(context, await captureOrder(context.config, orderId));
};

/** PAYMENT.CAPTURE.COMPLETED: the capture of a top-up's order. */
export const captureCompleted: EventHandler = async (context, payload) =>
  credit(context, captureOf(resourceOf(payload)));
