// Exact money arithmetic: integer minor units, fractions compared without dividing, one
// rounding per amount (half up).
import type { Interval } from "../db/schema";

/** An exact fraction: a price per month, compared without dividing. */
export interface Rational {
  numerator: number;
  denominator: number;
}

export const MONTHS_PER: Record<Interval, number> = { month: 1, year: 12 };

/** The price per month, as a fraction (a yearly price over 12): exact, never a float. */
export function monthlyEquivalent(price: number, interval: Interval): Rational {
  return { numerator: price, denominator: MONTHS_PER[interval] };
}

/** -1, 0 or 1 as a < b, a = b or a > b, by cross-multiplying (prices are safe integers). */
export function compareRational(a: Rational, b: Rational): -1 | 0 | 1 {
  const left = BigInt(a.numerator) * BigInt(b.denominator);
  const right = BigInt(b.numerator) * BigInt(a.denominator);
  return left < right ? -1 : left > right ? 1 : 0;
}

/** round(a × b / c), half up, exactly (BigInt: ms × minor units outgrow 2^53). a, b ≥ 0, c > 0. */
export function mulDivRound(a: number, b: number, c: number): number {
  if (c <= 0) throw new RangeError("mulDivRound: the divisor must be positive");
  const product = BigInt(a) * BigInt(b);
  const divisor = BigInt(c);
  return Number((product * 2n + divisor) / (divisor * 2n));
}

/** An amount in minor units as people read it: 2900 usd → "$29.00", 500 jpy → "¥500". */
export function formatMoney(amount: number, currency: string, locale = "en-US"): string {
  try {
    const format = new Intl.NumberFormat(locale, {
      style: "currency",
      currency: currency.toUpperCase(),
    });
    const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
    return format.format(amount / 10 ** digits);
  } catch {
    return `${(amount / 100).toFixed(2)} ${currency.toUpperCase()}`;
  }
}
