// The pure parts of revenue analytics: months, coupon periods, MRR rounding, movements, rates,
// churn and LTV.
import { describe, expect, it } from "vitest";
import {
  levelsBefore,
  ltv,
  type RevenueDay,
  rangeMonths,
  rate,
  revenueChurn,
  summarize,
} from "../src/analytics/metrics";
import { classifyMovement } from "../src/analytics/movements";
import { periodCharge, periodStartMonth, userMrr, wholeMonths } from "../src/analytics/mrr";
import { addMonths } from "../src/lib/windows";
import { at, day } from "./analytics-helpers";

describe("pure snapshot and metric functions", () => {
  const plan = (price: number, year = price * 10) => ({
    id: "pln_x",
    code: "x",
    priceMonth: price,
    priceYear: year,
    currency: "usd",
  });
  const subscription = (months: number, interval: "month" | "year" = "month") => ({
    planId: "pln_x",
    interval,
    createdAt: at("2031-01-31T10:00:00Z"),
    trialEnd: null,
    // Periods follow the anchor's day, clamped: Jan 31, Feb 28, Mar 31, Apr 30.
    currentPeriodStart: addMonths(at("2031-01-31T10:00:00Z"), months),
  });

  it("counts whole months from the first paid period, with a day of slack", () => {
    expect(wholeMonths(at("2031-01-31T00:00:00Z"), at("2031-02-28T00:00:00Z"))).toBe(1);
    expect(wholeMonths(at("2031-01-15T00:00:00Z"), at("2031-02-14T23:59:59Z"))).toBe(0);
    expect(periodStartMonth(subscription(0))).toBe(0);
    expect(periodStartMonth(subscription(1))).toBe(1);
    expect(periodStartMonth(subscription(3))).toBe(3);
    // A trial moves the first paid period to its end.
    expect(
      periodStartMonth({
        ...subscription(0),
        trialEnd: at("2031-02-14T10:00:00Z"),
        currentPeriodStart: at("2031-03-14T10:00:00Z"),
      }),
    ).toBe(1);
  });

  it("applies once, repeating and forever coupons to the right periods", () => {
    const terms = (duration: "once" | "repeating" | "forever", durationMonths: number | null) => ({
      percentOff: null,
      amountOff: 300,
      currency: null,
      duration,
      durationMonths,
      planIds: null,
    });
    const charges = (c: ReturnType<typeof terms>) =>
      [0, 1, 2, 3].map((m) => periodCharge(subscription(m), plan(900), c));
    expect(charges(terms("once", null))).toEqual([600, 900, 900, 900]);
    expect(charges(terms("repeating", 2))).toEqual([600, 600, 900, 900]);
    expect(charges(terms("forever", null))).toEqual([600, 600, 600, 600]);
    // A coupon restricted to other plans does not apply.
    expect(
      periodCharge(subscription(0), plan(900), { ...terms("forever", null), planIds: ["pln_y"] }),
    ).toBe(900);
    // An amount never takes the price below zero.
    expect(
      periodCharge(subscription(0), plan(200), { ...terms("forever", null), amountOff: 500 }),
    ).toBe(0);
  });

  it("rounds a subscriber's MRR once, after summing exact monthly fractions", () => {
    // Two yearly charges of 1206: 100.5 a month each; 201 together (not 101 + 101).
    const yearly = { subscription: subscription(0, "year"), plan: plan(0, 1206), coupon: null };
    expect(userMrr([yearly, yearly]).get("usd")).toEqual({ mrr: 201, planId: "pln_x" });
    expect(userMrr([yearly]).get("usd")?.mrr).toBe(101);
    expect(userMrr([]).size).toBe(0);
  });

  it("classifies each kind of movement", () => {
    expect(classifyMovement(null, 900)).toEqual({ kind: "new", amount: 900 });
    expect(classifyMovement({ mrr: 0, everPaid: true }, 900)).toEqual({
      kind: "reactivation",
      amount: 900,
    });
    expect(classifyMovement({ mrr: 0, everPaid: false }, 900)).toEqual({
      kind: "new",
      amount: 900,
    });
    expect(classifyMovement({ mrr: 900, everPaid: true }, 2900)).toEqual({
      kind: "expansion",
      amount: 2000,
    });
    expect(classifyMovement({ mrr: 2900, everPaid: true }, 900)).toEqual({
      kind: "contraction",
      amount: 2000,
    });
    expect(classifyMovement({ mrr: 900, everPaid: true }, 0)).toEqual({
      kind: "churn",
      amount: 900,
    });
    expect(classifyMovement({ mrr: 900, everPaid: true }, 900)).toEqual({
      kind: "none",
      amount: 0,
    });
  });

  it("computes rates to 4 places, churn, months and LTV exactly", () => {
    expect(rate(1, 3)).toBe(0.3333);
    expect(rate(2, 3)).toBe(0.6667);
    expect(rate(1, 0)).toBeNull();
    expect(revenueChurn(900, 2000, 4700)).toBe(0.617);
    expect(rangeMonths(day("2031-01-01"), day("2031-01-31"))).toEqual({
      numerator: 1,
      denominator: 1,
    });
    expect(rangeMonths(day("2031-01-01"), day("2031-03-31"))).toEqual({
      numerator: 3,
      denominator: 1,
    });
    expect(rangeMonths(day("2031-01-02"), day("2031-01-03"))).toEqual({
      numerator: 2,
      denominator: 30,
    });
    // ARPU 1000, 10% monthly churn → 10000.
    expect(
      ltv({
        mrr: 10_000,
        payingSubscribers: 10,
        mrrAtStart: 10_000,
        lostMrr: 1000,
        months: { numerator: 1, denominator: 1 },
      }),
    ).toBe(10_000);
    expect(
      ltv({
        mrr: 10_000,
        payingSubscribers: 10,
        mrrAtStart: 10_000,
        lostMrr: 0,
        months: { numerator: 1, denominator: 1 },
      }),
    ).toBeNull();
  });

  it("recovers the levels before a snapshot from its movements", () => {
    const row = {
      day: day("2031-01-02"),
      currency: "usd",
      mrr: 6700,
      arr: 80_400,
      payingSubscribers: 3,
      trials: 0,
      subscribersByPlan: {},
      newMrr: 2900,
      expansionMrr: 2000,
      contractionMrr: 2000,
      churnedMrr: 900,
      reactivationMrr: 0,
      newSubscribers: 1,
      churnedSubscribers: 1,
      signups: 0,
      activeUsers: 0,
      createdAt: 0,
    } satisfies RevenueDay;
    expect(levelsBefore(row)).toEqual({ mrr: 4700, paying: 3 });
    expect(summarize([row], day("2031-01-03"), day("2031-01-04"))).toEqual({});
  });
});
