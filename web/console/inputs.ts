// What the console's forms send: amounts typed as decimals become integer minor units (exactly,
// from the digits), blank limits mean unlimited, a local date-time becomes ISO, and a plan or
// coupon form becomes the admin API's body. Pure; a value that cannot be read throws an
// InputError naming the field, shown next to it like the API's own 400.

export class InputError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * "12.34" with 2 minor digits → 1234; "12" → 1200; "0.5" → 50; "1,234.50" → 123450 (thousands
 * separators dropped). More decimals than the currency has, a sign or anything else → InputError.
 */
export function parseMinor(text: string, digits: number, path: string): number {
  const clean = text.trim().replaceAll(",", "").replaceAll(" ", "");
  const match = /^(\d+)(?:\.(\d*))?$/.exec(clean);
  if (!match) throw new InputError(path, "Enter an amount like 12.34");
  const [, whole = "", fraction = ""] = match;
  if (fraction.length > digits) {
    throw new InputError(
      path,
      digits === 0 ? "This currency has no decimals" : `At most ${digits} decimals`,
    );
  }
  const minor = Number(`${whole}${fraction.padEnd(digits, "0")}`);
  if (!Number.isSafeInteger(minor)) throw new InputError(path, "The amount is too large");
  return minor;
}

/** A whole number ≥ 0, or null for a blank field (unlimited, no maximum). */
export function parseOptionalCount(text: string, path: string): number | null {
  const clean = text.trim().replaceAll(",", "");
  if (clean === "") return null;
  if (!/^\d+$/.test(clean)) throw new InputError(path, "Enter a whole number, or leave it blank");
  const n = Number(clean);
  if (!Number.isSafeInteger(n)) throw new InputError(path, "The number is too large");
  return n;
}

/** A whole number ≥ 0, required. */
export function parseCount(text: string, path: string): number {
  const n = parseOptionalCount(text, path);
  if (n === null) throw new InputError(path, "Required");
  return n;
}

/** A whole number, negative too (a sort order). */
export function parseInteger(text: string, path: string): number {
  const clean = text.trim();
  if (!/^-?\d+$/.test(clean)) throw new InputError(path, "Enter a whole number");
  const n = Number(clean);
  if (!Number.isSafeInteger(n)) throw new InputError(path, "The number is too large");
  return n;
}

/**
 * A datetime-local value ("2031-01-31T18:00", in the admin's time zone) as an ISO instant, or
 * null when blank.
 */
export function localToIso(text: string, path: string): string | null {
  const value = text.trim();
  if (value === "") return null;
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value);
  if (!match) throw new InputError(path, "Enter a date and time");
  const [, y, mo, d, h, mi] = match.map(Number) as [number, number, number, number, number, number];
  const local = new Date(y, mo - 1, d, h, mi);
  if (Number.isNaN(local.getTime()) || local.getMonth() !== mo - 1) {
    throw new InputError(path, "Enter a real date");
  }
  return local.toISOString();
}

/** An ISO instant as a datetime-local value in the admin's zone (the inverse of localToIso). */
export function isoToLocal(iso: string | null): string {
  if (!iso) return "";
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A JSON object typed in a textarea (a plan's features); blank is {}. */
export function parseJsonObject(text: string, path: string): Record<string, unknown> {
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InputError(path, "Not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InputError(path, 'Enter a JSON object, like {"max_api_keys": 5}');
  }
  return value as Record<string, unknown>;
}

const WINDOW_FIELDS = ["minute", "hour", "day", "month"] as const;
const PROVIDER_FIELDS = [
  "stripe_price_month",
  "stripe_price_year",
  "paypal_plan_month",
  "paypal_plan_year",
] as const;

/**
 * The plan form's values as the admin API's body (create, or the fields of an edit). The form's
 * fields are named by the API's paths ("prices.month", "limits.day"), so the API's own field
 * errors land next to them too. Prices are decimals of the plan's currency; a blank limit is
 * unlimited (null); a blank provider id is none (null).
 */
export function planBody(
  values: Record<string, string>,
  digitsOf: (currency: string) => number,
  mode: "create" | "edit",
): Record<string, unknown> {
  const currency = (values.currency ?? "").trim().toLowerCase();
  if (!/^[a-z]{3}$/.test(currency))
    throw new InputError("currency", "A three-letter code, like usd");
  const digits = digitsOf(currency);
  const body: Record<string, unknown> = {
    name: (values.name ?? "").trim(),
    description: (values.description ?? "").trim() || null,
    currency,
    prices: {
      month: parseMinor(values["prices.month"] ?? "0", digits, "prices.month"),
      year: parseMinor(values["prices.year"] ?? "0", digits, "prices.year"),
    },
    trial_days: parseCount(values.trial_days ?? "0", "trial_days"),
    limits: Object.fromEntries(
      WINDOW_FIELDS.map((w) => [w, parseOptionalCount(values[`limits.${w}`] ?? "", `limits.${w}`)]),
    ),
    features: parseJsonObject(values.features ?? "", "features"),
    provider_ids: Object.fromEntries(
      PROVIDER_FIELDS.map((f) => [f, (values[`provider_ids.${f}`] ?? "").trim() || null]),
    ),
    sort_order: parseInteger(values.sort_order ?? "0", "sort_order"),
  };
  if (mode === "create") body.code = (values.code ?? "").trim().toLowerCase();
  return body;
}

/**
 * The coupon form's values as the admin API's body. The discount is a percentage or an amount
 * of a currency; `repeating` takes a number of months; blank expiry or maximum: none. On an
 * edit, `discountLocked` (the coupon was redeemed) leaves the discount out.
 */
export function couponBody(
  values: Record<string, string>,
  planIds: string[],
  digitsOf: (currency: string) => number,
  mode: "create" | "edit",
  discountLocked = false,
): Record<string, unknown> {
  const body: Record<string, unknown> = {
    name: (values.name ?? "").trim() || null,
    expires_at: localToIso(values.expires_at ?? "", "expires_at"),
    max_redemptions: parseOptionalCount(values.max_redemptions ?? "", "max_redemptions"),
    plan_ids: planIds.length ? planIds : null,
    active: values.active === "on",
  };
  if (mode === "create") body.code = (values.code ?? "").trim().toUpperCase();
  if (discountLocked) return body;
  const duration = values.duration ?? "once";
  body.duration = duration;
  body.duration_months =
    duration === "repeating" ? parseCount(values.duration_months ?? "", "duration_months") : null;
  if (values.kind === "amount") {
    const currency = (values.currency ?? "").trim().toLowerCase();
    if (!/^[a-z]{3}$/.test(currency))
      throw new InputError("currency", "A three-letter code, like usd");
    body.amount_off = parseMinor(values.amount_off ?? "", digitsOf(currency), "amount_off");
    body.currency = currency;
    body.percent_off = null;
  } else {
    body.percent_off = parseCount(values.percent_off ?? "", "percent_off");
    body.amount_off = null;
    body.currency = null;
  }
  if (mode === "create") {
    for (const key of ["duration_months", "amount_off", "currency", "percent_off"]) {
      if (body[key] === null) delete body[key];
    }
  }
  return body;
}
