// How a plan change's proration preview (GET /v1/subscription/change/preview) is shown: the
// lines of the quote and one sentence saying what happens. Pure (test/web-proration.test.ts).
import { formatDate, formatMoney } from "./format";
import type { Proration } from "./types";

export interface QuoteLine {
  label: string;
  amount: string;
  /** Credits are shown as negative amounts. */
  kind: "credit" | "charge" | "total" | "info";
}

export interface Quote {
  headline: string;
  lines: QuoteLine[];
}

/** The quote for a change to `planName`, from the preview the API gave. */
export function prorationQuote(preview: Proration, planName: string, locale?: string): Quote {
  const money = (minor: number) => formatMoney(minor, preview.currency, locale);
  const when = formatDate(preview.next_invoice.at, locale);
  const next = money(preview.next_invoice.amount);
  if (preview.direction === "same") {
    return {
      headline: `You stay on ${planName}; the change waiting for your period end is called off. Your next invoice is ${next} on ${when}.`,
      lines: [{ label: `Next invoice (${when})`, amount: next, kind: "info" }],
    };
  }
  if (preview.direction === "downgrade") {
    return {
      headline: `You move to ${planName} on ${when}, when your current period ends. Nothing is charged now; your next invoice is ${next}.`,
      lines: [
        { label: "Due now", amount: money(0), kind: "total" },
        { label: `Next invoice (${when})`, amount: next, kind: "info" },
      ],
    };
  }
  const lines: QuoteLine[] = [
    {
      label: "Credit for the unused time on your current plan",
      amount: money(-preview.credit),
      kind: "credit",
    },
    {
      label: `${planName} for the rest of the period`,
      amount: money(preview.charge),
      kind: "charge",
    },
    { label: "Due now", amount: money(preview.amount_due_now), kind: "total" },
  ];
  if (preview.carried_credit > 0) {
    lines.push({
      label: "Credit carried to your next invoices",
      amount: money(preview.carried_credit),
      kind: "info",
    });
  }
  lines.push({ label: `Next invoice (${when})`, amount: next, kind: "info" });
  const due = money(preview.amount_due_now);
  return {
    headline:
      preview.amount_due_now > 0
        ? `You move to ${planName} now and pay ${due} today for the rest of this period.`
        : `You move to ${planName} now; your credit covers the rest of this period, so nothing is due today.`,
    lines,
  };
}
