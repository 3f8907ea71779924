// How the portal shows a plan change's proration preview (web/shared/proration.ts).
import { describe, expect, it } from "vitest";
import { prorationQuote } from "../web/shared/proration";
import type { Proration } from "../web/shared/types";

const at = "2026-12-15T00:00:00Z";

/** A preview with nothing credited, charged or due, and a next invoice of `next`. */
const quiet = (direction: Proration["direction"], currency: string, next: number): Proration => ({
  direction,
  currency,
  credit: 0,
  charge: 0,
  amount_due_now: 0,
  carried_credit: 0,
  next_invoice: { amount: next, at },
});

describe("prorationQuote", () => {
  it("an upgrade: credit, charge, due now, next invoice", () => {
    const preview: Proration = {
      direction: "upgrade",
      currency: "usd",
      credit: 450,
      charge: 1450,
      amount_due_now: 1000,
      carried_credit: 0,
      next_invoice: { amount: 2900, at },
    };
    const quote = prorationQuote(preview, "Pro", "en-US");
    expect(quote.headline).toBe(
      "You move to Pro now and pay $10.00 today for the rest of this period.",
    );
    expect(quote.lines).toEqual([
      {
        label: "Credit for the unused time on your current plan",
        amount: "-$4.50",
        kind: "credit",
      },
      { label: "Pro for the rest of the period", amount: "$14.50", kind: "charge" },
      { label: "Due now", amount: "$10.00", kind: "total" },
      { label: "Next invoice (Dec 15, 2026)", amount: "$29.00", kind: "info" },
    ]);
  });

  it("an upgrade the credit covers shows nothing due and the credit carried", () => {
    const quote = prorationQuote(
      {
        direction: "upgrade",
        currency: "jpy",
        credit: 3000,
        charge: 1000,
        amount_due_now: 0,
        carried_credit: 2000,
        next_invoice: { amount: 1500, at },
      },
      "Basic yearly",
      "en-US",
    );
    expect(quote.headline).toMatch(/nothing is due today/);
    expect(quote.lines.map((l) => [l.label, l.amount])).toEqual([
      ["Credit for the unused time on your current plan", "-¥3,000"],
      ["Basic yearly for the rest of the period", "¥1,000"],
      ["Due now", "¥0"],
      ["Credit carried to your next invoices", "¥2,000"],
      ["Next invoice (Dec 15, 2026)", "¥1,500"],
    ]);
  });

  it("a downgrade waits for the period end: nothing now, the new price next", () => {
    const quote = prorationQuote(quiet("downgrade", "eur", 900), "Basic", "en-US");
    expect(quote.headline).toBe(
      "You move to Basic on Dec 15, 2026, when your current period ends. Nothing is charged now; your next invoice is €9.00.",
    );
    expect(quote.lines).toEqual([
      { label: "Due now", amount: "€0.00", kind: "total" },
      { label: "Next invoice (Dec 15, 2026)", amount: "€9.00", kind: "info" },
    ]);
  });

  it("the current plan again calls the scheduled change off", () => {
    const quote = prorationQuote(quiet("same", "usd", 2900), "Pro", "en-US");
    expect(quote.headline).toMatch(/^You stay on Pro; the change waiting/);
    expect(quote.lines).toHaveLength(1);
  });
});
