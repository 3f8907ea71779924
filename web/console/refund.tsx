// Refunding a payment: who can be refunded, and the confirmation dialog with the amount (a
// decimal of the payment's currency, all that is left by default) and a reason.
import { currencyExponent, minorToDecimal } from "../../src/lib/currency";
import { formatMoney } from "../shared/format";
import { admin } from "./admin-api";
import { ConfirmDialog } from "./components";
import { parseMinor } from "./inputs";
import type { Payment } from "./types";

/** What is left to refund; 0 when nothing can be (failed, manual, or refunded in full). */
export function refundable(payment: Payment): number {
  if (payment.provider === "manual" || payment.status === "failed") return 0;
  return Math.max(0, payment.amount - payment.amount_refunded);
}

export function RefundDialog({
  payment,
  onClose,
  onDone,
}: {
  payment: Payment;
  onClose: () => void;
  onDone: (after: Payment) => void;
}) {
  const left = refundable(payment);
  const digits = currencyExponent(payment.currency);
  return (
    <ConfirmDialog
      title={`Refund payment ${payment.id}`}
      confirm="Refund"
      danger
      onClose={onClose}
      onConfirm={async (values) => {
        const amount = parseMinor(values.amount ?? "", digits, "amount");
        const reason = (values.reason ?? "").trim();
        const after = await admin.refund(payment.id, {
          ...(amount === left ? {} : { amount }),
          ...(reason ? { reason } : {}),
        });
        onDone(after);
      }}
    >
      <p>
        {formatMoney(payment.amount, payment.currency)} paid through {payment.provider};{" "}
        {formatMoney(left, payment.currency)} can still be refunded. The money goes back through{" "}
        {payment.provider} at once.
      </p>
      <div class="field">
        <label for="refund-amount">Amount ({payment.currency.toUpperCase()})</label>
        <input
          id="refund-amount"
          name="amount"
          inputMode="decimal"
          required
          defaultValue={minorToDecimal(left, payment.currency)}
          aria-describedby="refund-amount-hint"
        />
        <p class="hint" id="refund-amount-hint">
          At most {minorToDecimal(left, payment.currency)}.
        </p>
      </div>
      <div class="field">
        <label for="refund-reason">Reason (optional, kept in the audit log)</label>
        <input id="refund-reason" name="reason" maxLength={500} />
      </div>
    </ConfirmDialog>
  );
}
