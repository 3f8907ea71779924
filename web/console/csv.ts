// CSV export of users and payments, built in the browser from the admin list routes. RFC 4180
// (CRLF line ends; a field with a comma, quote or line break is quoted, quotes doubled) and safe
// to open in a spreadsheet: text that a spreadsheet would run as a formula is prefixed with a
// quote (OWASP's CSV injection advice). Pure, except for `collectPages`' fetches.
import { minorToDecimal } from "../../src/lib/currency";
import type { AdminUserRow, Payment, Window } from "./types";
import { WINDOWS } from "./types";

export type Cell = string | number | boolean | null | undefined;

/** Characters that make a spreadsheet read a cell as a formula (tab and CR included). */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One field: numbers as they are, text defused and quoted when it must be. */
export function csvCell(value: Cell): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "";
  let text = String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A header row and the rows, CRLF after each line. */
export function toCsv(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  return [header, ...rows].map((row) => `${row.map(csvCell).join(",")}\r\n`).join("");
}

const USAGE_HEADERS = WINDOWS.flatMap((w) => [`${w}_used`, `${w}_limit`]);

export const USER_HEADERS = [
  "id",
  "email",
  "name",
  "role",
  "status",
  "plan",
  "standing",
  "email_verified",
  "created_at",
  ...USAGE_HEADERS,
] as const;

/** The users export: one row each; usage columns stay empty when the rows carry none. */
export function usersCsv(users: readonly AdminUserRow[]): string {
  const usage = (u: AdminUserRow, w: Window): Cell[] => {
    const window = u.usage?.[w];
    return window ? [window.used, window.limit ?? "unlimited"] : [null, null];
  };
  return toCsv(
    USER_HEADERS,
    users.map((u) => [
      u.id,
      u.email,
      u.name,
      u.role,
      u.status,
      u.plan,
      u.standing,
      u.email_verified ? "yes" : "no",
      u.created_at,
      ...WINDOWS.flatMap((w) => usage(u, w)),
    ]),
  );
}

export const PAYMENT_HEADERS = [
  "id",
  "user_id",
  "created_at",
  "provider",
  "status",
  "currency",
  "amount",
  "amount_refunded",
  "amount_minor",
  "amount_refunded_minor",
  "subscription_id",
  "period_start",
  "period_end",
  "failure_reason",
] as const;

/**
 * The payments export: amounts as exact decimals of their currency (for a spreadsheet) and as
 * the integer minor units the API keeps.
 */
export function paymentsCsv(payments: readonly Payment[]): string {
  return toCsv(
    PAYMENT_HEADERS,
    payments.map((p) => {
      return [
        p.id,
        p.user_id,
        p.created_at,
        p.provider,
        p.status,
        p.currency.toUpperCase(),
        minorToDecimal(p.amount, p.currency),
        minorToDecimal(p.amount_refunded, p.currency),
        p.amount,
        p.amount_refunded,
        p.subscription_id,
        p.period_start,
        p.period_end,
        p.failure_reason,
      ];
    }),
  );
}

/** What `collectPages` was asked to stop at, and why it stopped. */
export interface Collected<T> {
  items: T[];
  /** True when `max` items were reached before the last page. */
  truncated: boolean;
}

export interface CollectOptions {
  /** Stop after this many items (the answer says it was truncated). */
  max: number;
  /** Called after each page with the number of items so far. */
  onPage?: (count: number) => void;
  /**
   * How long to wait before asking for a page again after it failed with `error` (the
   * `attempt`th failure in a row, from 1), or null to give up and throw it.
   */
  retryDelay?: (error: unknown, attempt: number) => number | null;
  wait?: (ms: number) => Promise<void>;
}

/**
 * Follows a list route's `next_cursor` from the first page to the last (or `max` items), one
 * page at a time. A failed page is asked again when `retryDelay` says so (a 429 while the
 * admin's minute window refills); otherwise its error is thrown and nothing partial answered.
 */
export async function collectPages<T>(
  fetchPage: (cursor: string | null) => Promise<{ data: T[]; next_cursor: string | null }>,
  options: CollectOptions,
): Promise<Collected<T>> {
  const items: T[] = [];
  let cursor: string | null = null;
  let failures = 0;
  for (;;) {
    let page: { data: T[]; next_cursor: string | null };
    try {
      page = await fetchPage(cursor);
      failures = 0;
    } catch (error) {
      failures++;
      const delay = options.retryDelay?.(error, failures) ?? null;
      if (delay === null || !options.wait) throw error;
      await options.wait(delay);
      continue;
    }
    items.push(...page.data);
    options.onPage?.(items.length);
    if (items.length >= options.max) {
      return {
        items: items.slice(0, options.max),
        truncated: page.next_cursor !== null || items.length > options.max,
      };
    }
    if (page.next_cursor === null || page.next_cursor === cursor)
      return { items, truncated: false };
    cursor = page.next_cursor;
  }
}

/**
 * The retry rule of an export: a rate-limited page (429) is asked again after the minute
 * window has room (10 s, 20 s, then 40 s, 60 s at most), five times; any other failure ends it.
 */
export function rateLimitRetry(error: unknown, attempt: number): number | null {
  const status = (error as { status?: unknown } | null)?.status;
  if (status !== 429 || attempt > 5) return null;
  return Math.min(60_000, 10_000 * 2 ** (attempt - 1));
}

/** "tollgate-users-2031-01-31.csv". */
export const csvFilename = (what: string, now: number): string =>
  `tollgate-${what}-${new Date(now).toISOString().slice(0, 10)}.csv`;
