// Filters and search: what a list page shows is in its URL (so it can be bookmarked, shared and
// survives a reload), read back strictly (an unknown value is no filter), and turned into the
// admin list route's query. Pure.
import { PAYMENT_STATUSES, STANDINGS, USER_STATUSES, WEBHOOK_STATUSES } from "./types";

/** A filter: free text, or one of a fixed list of values. */
export type FilterSpec = Record<string, "text" | readonly string[]>;

export type FilterValues<S extends FilterSpec> = { [K in keyof S]: string };

export const USER_FILTERS = {
  q: "text",
  plan: "text",
  standing: STANDINGS,
  status: USER_STATUSES,
} as const satisfies FilterSpec;

export const PAYMENT_FILTERS = {
  status: PAYMENT_STATUSES,
  user_id: "text",
} as const satisfies FilterSpec;

export const WEBHOOK_FILTERS = {
  status: WEBHOOK_STATUSES,
  provider: ["stripe", "paypal"],
} as const satisfies FilterSpec;

export const AUDIT_FILTERS = {
  action: "text",
  actor_id: "text",
  target_id: "text",
} as const satisfies FilterSpec;

export const COUPON_FILTERS = { active: ["true", "false"] } as const satisfies FilterSpec;

/** Text longer than this is cut (the API takes at most 254 characters of email, 64 of an id). */
const MAX_TEXT = 254;

/** The filters a URL's query carries: text trimmed, listed values only when known, else "". */
export function readFilters<S extends FilterSpec>(spec: S, search: string): FilterValues<S> {
  const params = new URLSearchParams(search);
  const values = {} as FilterValues<S>;
  for (const key of Object.keys(spec) as (keyof S & string)[]) {
    const allowed = spec[key];
    const raw = (params.get(key) ?? "").trim();
    values[key] = allowed === "text" ? raw.slice(0, MAX_TEXT) : allowed?.includes(raw) ? raw : "";
  }
  return values;
}

/** A query string ("?a=1&b=2", or "" when empty) of the values that are set, in the given order. */
export function queryString(values: Record<string, string | number | boolean | null | undefined>) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) {
    if (value === null || value === undefined || value === "" || value === false) continue;
    params.set(key, String(value).trim());
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** A page of a list: its size and where it starts. */
export interface PageRequest {
  limit?: number;
  cursor?: string | null;
}

/** GET /v1/admin/users with the page's filters; the search is a substring of the email. */
export function usersPath(
  filters: FilterValues<typeof USER_FILTERS>,
  page: PageRequest & { usage?: boolean } = {},
): string {
  return `/v1/admin/users${queryString({
    email: filters.q,
    plan: filters.plan.toLowerCase(),
    standing: filters.standing,
    status: filters.status,
    usage: page.usage ? "true" : "",
    limit: page.limit,
    cursor: page.cursor,
  })}`;
}

/** Any admin list route with its filters as they are named in the API. */
export function listPath(
  base: string,
  filters: Record<string, string>,
  page: PageRequest = {},
): string {
  return `${base}${queryString({ ...filters, limit: page.limit, cursor: page.cursor })}`;
}

/**
 * What a search box was given: a user's id (open their page) or an email fragment (search).
 * Ids are what an admin pastes from a log, an audit entry or a payment.
 */
export function searchTarget(
  text: string,
): { kind: "user"; id: string } | { kind: "email"; q: string } {
  const q = text.trim();
  return /^usr_[0-9a-z]+$/.test(q) ? { kind: "user", id: q } : { kind: "email", q };
}

/** True when any filter is set (the page then offers to clear them). */
export const hasFilters = (values: Record<string, string>): boolean =>
  Object.values(values).some((v) => v !== "");
