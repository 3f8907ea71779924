import { describe, expect, it } from "vitest";
import { type CouponTerms, couponDiscount, discountedPrice } from "../src/coupons/discount";
import { compareRational, monthlyEquivalent, mulDivRound } from "../src/lib/money";
import { previewChange } from "../src/subscriptions/proration";

// Every expected number below is worked out by hand in the comment next to it.

const JAN_1 = Date.UTC(2025, 0, 1);
const FEB_1 = Date.UTC(2025, 1, 1); // January: 31 days
const JAN_11 = Date.UTC(2025, 0, 11); // 10 days used, 21 of 31 unused
const YEAR_END = Date.UTC(2026, 0, 1); // 2025: 365 days
const JUL_2 = Date.UTC(2025, 6, 2); // 182 days used, 183 of 365 unused

const percent = (
  p: number,
  duration: CouponTerms["duration"] = "forever",
  months: number | null = null,
): CouponTerms => ({
  percentOff: p,
  amountOff: null,
  duration,
  durationMonths: months,
});
const amount = (
  a: number,
  duration: CouponTerms["duration"] = "forever",
  months: number | null = null,
): CouponTerms => ({
  percentOff: null,
  amountOff: a,
  duration,
  durationMonths: months,
});

describe("monthlyEquivalent", () => {
  it("compares a yearly price with a monthly one exactly, without dividing", () => {
    // 12000/12 = 1000 per month: the same as 1000 monthly.
    expect(
      compareRational(monthlyEquivalent(12000, "year"), monthlyEquivalent(1000, "month")),
    ).toBe(0);
    // 12001/12 > 1000; 11999/12 < 1000 — a float comparison of 11999/12 would still be exact
    // here, but the cross-multiplied compare never depends on it.
    expect(
      compareRational(monthlyEquivalent(12001, "year"), monthlyEquivalent(1000, "month")),
    ).toBe(1);
    expect(
      compareRational(monthlyEquivalent(11999, "year"), monthlyEquivalent(1000, "month")),
    ).toBe(-1);
    expect(monthlyEquivalent(9000, "year")).toEqual({ numerator: 9000, denominator: 12 });
  });
});

describe("mulDivRound", () => {
  it("rounds half up, once, exactly beyond 2^53", () => {
    expect(mulDivRound(901, 1, 2)).toBe(451); // 450.5 → 451
    expect(mulDivRound(900, 1, 2)).toBe(450);
    expect(mulDivRound(1, 1, 3)).toBe(0); // 0.333 → 0
    expect(mulDivRound(2, 1, 3)).toBe(1); // 0.667 → 1
    // 99 999 999 × 15 768 000 001 / 31 536 000 000 = 49 999 999.5032 → 50 000 000.
    // (The product, ~1.6e18, is past 2^53: a float multiplication would lose the last digits.)
    expect(mulDivRound(99_999_999, 15_768_000_001, 31_536_000_000)).toBe(50_000_000);
  });
});

describe("discountedPrice", () => {
  it("percent coupons round the discount half up on minor units", () => {
    expect(couponDiscount(999, percent(15))).toBe(150); // 149.85 → 150
    expect(discountedPrice(999, percent(15), 0)).toBe(849);
    expect(couponDiscount(901, percent(50))).toBe(451); // 450.5 → 451
    expect(discountedPrice(901, percent(50), 0)).toBe(450);
    expect(discountedPrice(900, percent(100), 0)).toBe(0);
  });

  it("an amount off never takes the price below 0", () => {
    expect(discountedPrice(900, amount(1000), 0)).toBe(0);
    expect(discountedPrice(900, amount(250), 0)).toBe(650);
  });

  it("once: the first cycle only; forever: every cycle", () => {
    expect(discountedPrice(1000, percent(20, "once"), 0)).toBe(800);
    expect(discountedPrice(1000, percent(20, "once"), 1)).toBe(1000);
    expect(discountedPrice(1000, percent(20, "forever"), 37)).toBe(800);
    expect(discountedPrice(1000, null, 0)).toBe(1000);
  });

  it("repeating N: the first N monthly cycles; a yearly cycle when it starts inside N months", () => {
    const threeMonths = percent(10, "repeating", 3);
    expect([0, 1, 2, 3].map((k) => discountedPrice(1000, threeMonths, k, "month"))).toEqual([
      900, 900, 900, 1000,
    ]);
    // Year 1 starts in month 0 < 3: discounted whole; year 2 starts in month 12: not.
    expect(discountedPrice(12000, threeMonths, 0, "year")).toBe(10800);
    expect(discountedPrice(12000, threeMonths, 1, "year")).toBe(12000);
    // 13 months: year 2 starts in month 12 < 13 — discounted too; year 3 (month 24) not.
    const thirteen = percent(10, "repeating", 13);
    expect(discountedPrice(12000, thirteen, 1, "year")).toBe(10800);
    expect(discountedPrice(12000, thirteen, 2, "year")).toBe(12000);
  });
});

describe("previewChange", () => {
  it("mid-period upgrade, month → month: credit and charge for the 21 unused days of 31", () => {
    const p = previewChange({
      current: { price: 900, interval: "month", periodStart: JAN_1, periodEnd: FEB_1 },
      next: { price: 2900, interval: "month" },
      now: JAN_11,
    });
    // credit 900·21/31 = 609.68 → 610; charge 2900·21/31 = 1964.52 → 1965.
    expect(p).toEqual({
      direction: "upgrade",
      credit: 610,
      charge: 1965,
      amount_due_now: 1355,
      carried_credit: 0,
      next_invoice: { amount: 2900, at: FEB_1 },
      period_end: FEB_1,
    });
  });

  it("mid-period downgrade, month → month: the surplus is carried to the next invoice", () => {
    const p = previewChange({
      current: { price: 2900, interval: "month", periodStart: JAN_1, periodEnd: FEB_1 },
      next: { price: 900, interval: "month" },
      now: JAN_11,
    });
    // credit 1965, charge 610: nothing due, 1355 carried; the 900 invoice is covered whole.
    expect(p.direction).toBe("downgrade");
    expect(p.credit).toBe(1965);
    expect(p.charge).toBe(610);
    expect(p.amount_due_now).toBe(0);
    expect(p.carried_credit).toBe(1355);
    expect(p.next_invoice).toEqual({ amount: 0, at: FEB_1 });
  });

  it("a downgrade that waits for the period end credits and charges nothing now", () => {
    const p = previewChange({
      current: { price: 2900, interval: "month", periodStart: JAN_1, periodEnd: FEB_1 },
      next: { price: 900, interval: "month" },
      now: JAN_11,
      effective: "period_end",
    });
    expect(p).toEqual({
      direction: "downgrade",
      credit: 0,
      charge: 0,
      amount_due_now: 0,
      carried_credit: 0,
      next_invoice: { amount: 900, at: FEB_1 },
      period_end: FEB_1,
    });
  });

  it("month → year: a new yearly period starts now, charged whole, less the unused month", () => {
    const p = previewChange({
      current: { price: 900, interval: "month", periodStart: JAN_1, periodEnd: FEB_1 },
      next: { price: 29000, interval: "year" },
      now: JAN_11,
    });
    // credit 610; charge 29000; due 28390; the next invoice a year after now.
    expect(p.direction).toBe("upgrade");
    expect(p.credit).toBe(610);
    expect(p.charge).toBe(29000);
    expect(p.amount_due_now).toBe(28390);
    expect(p.carried_credit).toBe(0);
    expect(p.next_invoice).toEqual({ amount: 29000, at: Date.UTC(2026, 0, 11) });
    expect(p.period_end).toBe(Date.UTC(2026, 0, 11));
  });

  it("year → month: the unused 183 of 365 days outweigh a month of the new plan", () => {
    const p = previewChange({
      current: { price: 29000, interval: "year", periodStart: JAN_1, periodEnd: YEAR_END },
      next: { price: 900, interval: "month" },
      now: JUL_2,
    });
    // credit 29000·183/365 = 14539.73 → 14540; charge 900; carried 13640; next invoice covered.
    expect(p.direction).toBe("downgrade");
    expect(p.credit).toBe(14540);
    expect(p.charge).toBe(900);
    expect(p.amount_due_now).toBe(0);
    expect(p.carried_credit).toBe(13640);
    expect(p.next_invoice).toEqual({ amount: 0, at: Date.UTC(2025, 7, 2) });
  });

  it("same monthly equivalent across intervals is neither an upgrade nor a downgrade", () => {
    const p = previewChange({
      current: { price: 1000, interval: "month", periodStart: JAN_1, periodEnd: FEB_1 },
      next: { price: 12000, interval: "year" },
      now: JAN_11,
    });
    expect(p.direction).toBe("same");
  });

  it("a coupon: credit at what was paid; the subscription keeps it on the new plan", () => {
    const coupon = percent(20, "forever");
    const kept = previewChange({
      current: { price: 900, interval: "month", periodStart: JAN_1, periodEnd: FEB_1, coupon },
      next: { price: 2900, interval: "month" },
      now: JAN_11,
    });
    // paid 720 → credit 720·21/31 = 487.74 → 488; new 2320 → 2320·21/31 = 1571.61 → 1572.
    expect(kept.credit).toBe(488);
    expect(kept.charge).toBe(1572);
    expect(kept.amount_due_now).toBe(1084);
    expect(kept.next_invoice.amount).toBe(2320);

    const dropped = previewChange({
      current: { price: 900, interval: "month", periodStart: JAN_1, periodEnd: FEB_1, coupon },
      next: { price: 2900, interval: "month", coupon: null },
      now: JAN_11,
    });
    // credit still 488; charge 1965 at list price; next invoice 2900.
    expect(dropped.credit).toBe(488);
    expect(dropped.charge).toBe(1965);
    expect(dropped.amount_due_now).toBe(1477);
    expect(dropped.next_invoice.amount).toBe(2900);
  });

  it("a once coupon covered the first cycle only, and never a new period after an interval change", () => {
    const once = amount(500, "once");
    const first = previewChange({
      current: {
        price: 900,
        interval: "month",
        periodStart: JAN_1,
        periodEnd: FEB_1,
        coupon: once,
        cycleIndex: 0,
      },
      next: { price: 2900, interval: "month" },
      now: JAN_11,
    });
    // paid 400 → credit 400·21/31 = 270.97 → 271; charge (2900−500)·21/31 = 1625.81 → 1626.
    expect(first.credit).toBe(271);
    expect(first.charge).toBe(1626);
    expect(first.next_invoice.amount).toBe(2900);

    const later = previewChange({
      current: {
        price: 900,
        interval: "month",
        periodStart: JAN_1,
        periodEnd: FEB_1,
        coupon: once,
        cycleIndex: 3,
      },
      next: { price: 2900, interval: "month" },
      now: JAN_11,
    });
    expect(later.credit).toBe(610);
    expect(later.charge).toBe(1965);

    const toYear = previewChange({
      current: {
        price: 900,
        interval: "month",
        periodStart: JAN_1,
        periodEnd: FEB_1,
        coupon: once,
      },
      next: { price: 29000, interval: "year" },
      now: JAN_11,
    });
    expect(toYear.credit).toBe(271);
    expect(toYear.charge).toBe(29000);
  });

  it("a repeating coupon covers a new yearly period that starts inside its months", () => {
    const coupon = percent(10, "repeating", 3);
    const inside = previewChange({
      current: {
        price: 900,
        interval: "month",
        periodStart: JAN_1,
        periodEnd: FEB_1,
        coupon,
        cycleIndex: 2,
      },
      next: { price: 29000, interval: "year" },
      now: JAN_11,
    });
    // Month 2 < 3: the new year costs 29000 − 2900 = 26100; the year after is full price.
    expect(inside.credit).toBe(mulDivRound(810, 21, 31)); // 548.71 → 549
    expect(inside.credit).toBe(549);
    expect(inside.charge).toBe(26100);
    expect(inside.next_invoice.amount).toBe(29000);

    const outside = previewChange({
      current: {
        price: 900,
        interval: "month",
        periodStart: JAN_1,
        periodEnd: FEB_1,
        coupon,
        cycleIndex: 3,
      },
      next: { price: 29000, interval: "year" },
      now: JAN_11,
    });
    expect(outside.credit).toBe(610);
    expect(outside.charge).toBe(29000);
  });

  it("rounds each amount once, half up", () => {
    // A 1000 ms period, half used: 901·500/1000 = 450.5 → 451 credit; 1·500/1000 = 0.5 → 1 charge.
    const p = previewChange({
      current: { price: 901, interval: "month", periodStart: 0, periodEnd: 1000 },
      next: { price: 1, interval: "month" },
      now: 500,
    });
    expect(p.credit).toBe(451);
    expect(p.charge).toBe(1);
    expect(p.carried_credit).toBe(450);
    // 31 days, 1 ms used: 2900·(31d−1ms)/31d = 2899.99999999… → 2900, not 2899.
    const q = previewChange({
      current: { price: 900, interval: "month", periodStart: JAN_1, periodEnd: FEB_1 },
      next: { price: 2900, interval: "month" },
      now: JAN_1 + 1,
    });
    expect(q.charge).toBe(2900);
    expect(q.credit).toBe(900);
  });

  it("clamps now into the period: nothing is left to credit after its end", () => {
    const after = previewChange({
      current: { price: 900, interval: "month", periodStart: JAN_1, periodEnd: FEB_1 },
      next: { price: 2900, interval: "month" },
      now: FEB_1 + 5,
    });
    expect(after.credit).toBe(0);
    expect(after.charge).toBe(0);
    const before = previewChange({
      current: { price: 900, interval: "month", periodStart: JAN_1, periodEnd: FEB_1 },
      next: { price: 2900, interval: "month" },
      now: JAN_1 - 5,
    });
    expect(before.credit).toBe(900);
    expect(before.charge).toBe(2900);
  });
});
