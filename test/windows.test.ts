import { describe, expect, it } from "vitest";
import {
  addMonths,
  evaluate,
  type Limits,
  monthSpan,
  retryAfterSeconds,
  windowSpan,
} from "../src/lib/windows";
import { rateLimitHeader, rateLimitPolicyHeader } from "../src/ratelimit/headers";

const at = (text: string) => Date.parse(text);
const LIMITS: Limits = { minute: 3, hour: 5, day: 7, month: 9 };

describe("window spans", () => {
  it("aligns minute, hour and day windows to UTC", () => {
    const now = at("2026-03-14T15:09:26.535Z");
    expect(windowSpan("minute", now, null)).toEqual({
      start: at("2026-03-14T15:09:00Z"),
      end: at("2026-03-14T15:10:00Z"),
    });
    expect(windowSpan("hour", now, null)).toEqual({
      start: at("2026-03-14T15:00:00Z"),
      end: at("2026-03-14T16:00:00Z"),
    });
    expect(windowSpan("day", now, null)).toEqual({
      start: at("2026-03-14T00:00:00Z"),
      end: at("2026-03-15T00:00:00Z"),
    });
  });

  it("uses the calendar month without a billing anchor, across a year end", () => {
    expect(monthSpan(at("2026-12-31T23:59:59Z"), null)).toEqual({
      start: at("2026-12-01T00:00:00Z"),
      end: at("2027-01-01T00:00:00Z"),
    });
  });

  it("follows the billing anchor, clamping to short months", () => {
    const anchor = at("2027-01-31T10:00:00Z");
    expect(addMonths(anchor, 1)).toBe(at("2027-02-28T10:00:00Z"));
    expect(addMonths(anchor, 13)).toBe(at("2028-02-29T10:00:00Z"));
    expect(monthSpan(at("2027-02-15T00:00:00Z"), anchor)).toEqual({
      start: at("2027-01-31T10:00:00Z"),
      end: at("2027-02-28T10:00:00Z"),
    });
    expect(monthSpan(at("2027-02-28T10:00:00Z"), anchor)).toEqual({
      start: at("2027-02-28T10:00:00Z"),
      end: at("2027-03-31T10:00:00Z"),
    });
    // Just before the anchor's time on the anchor day: still the previous period.
    expect(monthSpan(at("2027-03-31T09:59:59Z"), anchor).start).toBe(at("2027-02-28T10:00:00Z"));
  });
});

describe("evaluate", () => {
  const now = at("2026-05-05T05:05:05Z");

  it("admits and counts every window when all have room", () => {
    const result = evaluate(LIMITS, {}, 1, now, null);
    expect(result.allowed).toBe(true);
    expect(result.windows.map((w) => [w.window, w.used, w.remaining])).toEqual([
      ["minute", 1, 2],
      ["hour", 1, 4],
      ["day", 1, 6],
      ["month", 1, 8],
    ]);
  });

  it("denies without counting when any window lacks room for the cost", () => {
    const first = evaluate(LIMITS, {}, 2, now, null);
    const second = evaluate(LIMITS, first.next, 2, now, null);
    expect(second.allowed).toBe(false);
    expect(second.violations.map((v) => v.window)).toEqual(["minute"]);
    expect(second.windows.find((w) => w.window === "hour")?.used).toBe(2);
    // A cheaper request still fits.
    expect(evaluate(LIMITS, first.next, 1, now, null).allowed).toBe(true);
  });

  it("treats counters from an earlier window as zero", () => {
    const full = evaluate(LIMITS, {}, 3, now, null).next;
    const nextMinute = evaluate(LIMITS, full, 1, now + 60_000, null);
    expect(nextMinute.allowed).toBe(true);
    expect(nextMinute.windows.map((w) => w.used)).toEqual([1, 4, 4, 4]);
  });

  it("never limits a null window", () => {
    const unlimited: Limits = { minute: null, hour: null, day: null, month: null };
    const result = evaluate(unlimited, {}, 1_000_000, now, null);
    expect(result.allowed).toBe(true);
    expect(result.windows.every((w) => w.remaining === null)).toBe(true);
  });

  it("computes Retry-After as the latest reset among the violated windows", () => {
    const violations = evaluate(
      LIMITS,
      {
        minute: { start: at("2026-05-05T05:05:00Z"), count: 3 },
        hour: { start: at("2026-05-05T05:00:00Z"), count: 5 },
      },
      1,
      now,
      null,
    ).violations;
    expect(violations.map((v) => v.window)).toEqual(["minute", "hour"]);
    expect(retryAfterSeconds(violations, now)).toBe(55 * 60 - 5);
  });
});

describe("RateLimit headers", () => {
  it("lists every limited window as a policy and reports the tightest one", () => {
    const now = at("2026-05-05T05:05:05Z");
    const { windows } = evaluate(LIMITS, {}, 1, now, null);
    expect(rateLimitPolicyHeader(windows)).toBe(
      '"minute";q=3;w=60, "hour";q=5;w=3600, "day";q=7;w=86400, "month";q=9;w=2678400',
    );
    expect(rateLimitHeader(windows, now)).toBe('"minute";r=2;t=55');
  });

  it("prefers the sooner reset when two windows have equal room", () => {
    const now = at("2026-05-05T05:05:05Z");
    const { windows } = evaluate({ minute: 4, hour: 4, day: null, month: null }, {}, 1, now, null);
    expect(rateLimitHeader(windows, now)).toBe('"minute";r=3;t=55');
    expect(
      rateLimitPolicyHeader(
        evaluate({ minute: null, hour: null, day: null, month: null }, {}, 1, now, null).windows,
      ),
    ).toBeNull();
  });
});
