// The browser apps' display logic (web/shared/format.ts): money per currency exponent, usage
// percentages and their levels, dates.
import { describe, expect, it } from "vitest";
import {
  formatDate,
  formatMoney,
  formatRelative,
  meterWidth,
  usageLabel,
  usageLevel,
  usagePercent,
} from "../web/shared/format";

describe("formatMoney", () => {
  it("uses the currency's exponent: cents for USD, none for JPY, three for KWD", () => {
    expect(formatMoney(2900, "usd", "en-US")).toBe("$29.00");
    expect(formatMoney(5, "USD", "en-US")).toBe("$0.05");
    expect(formatMoney(500, "jpy", "en-US")).toBe("¥500");
    expect(formatMoney(1234, "kwd", "en-US")).toBe("KWD\u00a01.234");
    expect(formatMoney(123456, "eur", "de-DE")).toBe("1.234,56\u00a0€");
  });

  it("is exact for amounts a float would round wrongly, and keeps the sign", () => {
    expect(formatMoney(900719925474099, "usd", "en-US")).toBe("$9,007,199,254,740.99");
    expect(formatMoney(-1999, "usd", "en-US")).toBe("-$19.99");
    expect(formatMoney(0, "usd", "en-US")).toBe("$0.00");
  });

  it("refuses a fraction of a minor unit", () => {
    expect(() => formatMoney(1.5, "usd")).toThrow(/whole number of minor units/);
  });
});

describe("usage", () => {
  it("floors the percentage, so 79.9% reads 79% and stays ok", () => {
    expect(usagePercent(799, 1000)).toBe(79);
    expect(usageLevel(usagePercent(799, 1000))).toBe("ok");
  });

  it("turns amber at 80% and red at 100%", () => {
    expect(usageLevel(usagePercent(80, 100))).toBe("warn");
    expect(usageLevel(usagePercent(99, 100))).toBe("warn");
    expect(usageLevel(usagePercent(100, 100))).toBe("over");
    expect(usageLevel(usagePercent(150, 100))).toBe("over");
    expect(usageLevel(usagePercent(0, 100))).toBe("ok");
  });

  it("has no percentage without a limit, and a zero limit is full", () => {
    expect(usagePercent(5, null)).toBeNull();
    expect(usageLevel(null)).toBe("ok");
    expect(usagePercent(0, 0)).toBe(100);
    expect(usageLevel(usagePercent(0, 0))).toBe("over");
  });

  it("caps the bar at its width and labels the numbers", () => {
    expect(meterWidth(150)).toBe(100);
    expect(meterWidth(null)).toBe(0);
    expect(usageLabel(17, 20, "en-US")).toBe("17 of 20 (85%)");
    expect(usageLabel(1234, 20000, "en-US")).toBe("1,234 of 20,000 (6%)");
    expect(usageLabel(12, null, "en-US")).toBe("12 (no limit)");
  });
});

describe("dates", () => {
  it("formats in the given locale and says how far a reset is", () => {
    expect(formatDate("2026-11-29T22:00:00Z", "en-GB")).toMatch(/Nov 2026/);
    expect(formatDate(null)).toBe("");
    const now = Date.parse("2026-11-29T22:00:00Z");
    expect(formatRelative("2026-11-29T22:00:30Z", now, "en")).toBe("in 30 seconds");
    expect(formatRelative("2026-11-29T23:00:00Z", now, "en")).toBe("in 1 hour");
    expect(formatRelative("2026-11-30T23:00:00Z", now, "en")).toBe("tomorrow");
    expect(formatRelative("2026-12-02T00:00:00Z", now, "en")).toBe("in 2 days");
    expect(formatRelative("2026-11-29T21:55:00Z", now, "en")).toBe("5 minutes ago");
  });
});
