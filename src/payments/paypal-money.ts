// Money at PayPal: integer minor units <-> PayPal's decimal strings, exactly, never through floats.

import { currencyExponent, minorToDecimal } from "../lib/currency";

/** PayPal's amount strings are plain decimals: 2900 USD → "29.00"; 500 JPY → "500". */
export const toPayPalValue = minorToDecimal;

/**
 * "29.00" USD → 2900; "822.0100" CZK → 82201 (trailing zeros past the currency's exponent are
 * fine), while "822.0160" CZK is refused (a fraction of a minor unit). Throws on anything that
 * is not a plain decimal.
 */
export function fromPayPalValue(value: string, currency: string): number {
  const match = /^(-?)(\d*)(?:\.(\d*))?$/.exec(value.trim());
  const whole = match?.[2] ?? "";
  const fraction = match?.[3] ?? "";
  if (!match || (whole === "" && fraction === "")) {
    throw new Error(`not a decimal amount: ${JSON.stringify(value)}`);
  }
  const exponent = currencyExponent(currency);
  if (/[^0]/.test(fraction.slice(exponent))) {
    throw new Error(`${value} ${currency} is not a whole number of minor units`);
  }
  const minor = Number(`${whole || "0"}${fraction.slice(0, exponent).padEnd(exponent, "0")}`);
  if (!Number.isSafeInteger(minor)) throw new Error(`amount out of range: ${value}`);
  return match[1] === "-" && minor !== 0 ? -minor : minor;
}
