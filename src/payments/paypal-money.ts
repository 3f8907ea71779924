// Money at PayPal: integer minor units <-> PayPal's decimal strings, exactly, never through floats.

// ISO 4217 exponents that are not 2.
const ZERO_DECIMAL = new Set([
  "BIF",
  "CLP",
  "DJF",
  "GNF",
  "ISK",
  "JPY",
  "KMF",
  "KRW",
  "PYG",
  "RWF",
  "UGX",
  "VND",
  "VUV",
  "XAF",
  "XOF",
  "XPF",
]);
const THREE_DECIMAL = new Set(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"]);

export function currencyExponent(currency: string): number {
  const code = currency.toUpperCase();
  if (ZERO_DECIMAL.has(code)) return 0;
  if (THREE_DECIMAL.has(code)) return 3;
  return 2;
}

/** 2900 USD → "29.00"; 5 USD → "0.05"; 500 JPY → "500". */
export function toPayPalValue(minor: number, currency: string): string {
  if (!Number.isSafeInteger(minor)) {
    throw new Error(`an amount must be a whole number of minor units, got ${minor}`);
  }
  const exponent = currencyExponent(currency);
  const sign = minor < 0 ? "-" : "";
  const digits = String(Math.abs(minor));
  if (exponent === 0) return `${sign}${digits}`;
  const padded = digits.padStart(exponent + 1, "0");
  return `${sign}${padded.slice(0, -exponent)}.${padded.slice(-exponent)}`;
}

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
