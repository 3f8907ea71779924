// Display formats of the browser apps: money, usage, dates. Pure functions (unit-tested in
// test/web-format.test.ts); the locale defaults to the browser's.
import { currencyExponent, minorToDecimal } from "../../src/lib/currency";

/**
 * An amount in integer minor units of `currency`, formatted for people: 2900 USD → "$29.00",
 * 500 JPY → "¥500", 1234 KWD → "KWD 1.234". Exact: the decimal is built from the digits, never
 * by dividing a float.
 */
export function formatMoney(minor: number, currency: string, locale?: string): string {
  const code = currency.toUpperCase();
  const digits = currencyExponent(code);
  const format = new Intl.NumberFormat(locale, {
    style: "currency",
    currency: code,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
  // Intl formats decimal strings exactly (no binary rounding on the way).
  return format.format(minorToDecimal(minor, code) as unknown as number);
}

export type UsageLevel = "ok" | "warn" | "over";

/** The level at or above which a meter turns amber, and red. */
export const WARN_AT = 80;
export const OVER_AT = 100;

/**
 * The share of a limit used, in whole percent (floored, so 79.9% still reads 79% and "ok"),
 * or null when there is no limit. A zero limit is full from the start.
 */
export function usagePercent(used: number, limit: number | null): number | null {
  if (limit === null) return null;
  if (limit <= 0) return OVER_AT;
  return Math.floor((Math.max(0, used) * 100) / limit);
}

export function usageLevel(percent: number | null): UsageLevel {
  if (percent === null) return "ok";
  if (percent >= OVER_AT) return "over";
  if (percent >= WARN_AT) return "warn";
  return "ok";
}

/** A meter's width in percent: its share, capped to the bar. */
export const meterWidth = (percent: number | null): number =>
  percent === null ? 0 : Math.min(100, percent);

/** "1,234 of 5,000 (24%)", "12 (no limit)". */
export function usageLabel(used: number, limit: number | null, locale?: string): string {
  const n = new Intl.NumberFormat(locale);
  if (limit === null) return `${n.format(used)} (no limit)`;
  return `${n.format(used)} of ${n.format(limit)} (${usagePercent(used, limit)}%)`;
}

/** "29 Nov 2026" in the reader's locale; an empty string for null. */
export function formatDate(iso: string | null, locale?: string): string {
  if (!iso) return "";
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium" }).format(new Date(iso));
}

/** "29 Nov 2026, 14:05". */
export function formatDateTime(iso: string | null, locale?: string): string {
  if (!iso) return "";
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(
    new Date(iso),
  );
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["day", 86_400_000],
  ["hour", 3_600_000],
  ["minute", 60_000],
  ["second", 1000],
];

/** "in 3 hours", "5 minutes ago": the largest whole unit of the distance from `now`. */
export function formatRelative(iso: string, now: number, locale?: string): string {
  const delta = new Date(iso).getTime() - now;
  const format = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });
  for (const [unit, ms] of UNITS) {
    if (Math.abs(delta) >= ms || unit === "second") {
      return format.format(Math.trunc(delta / ms), unit);
    }
  }
  return format.format(0, "second");
}
