// Fixed, UTC-aligned windows and the all-or-nothing admission rule. Pure: no clock, no storage.
import { WINDOW_NAMES, type WindowName } from "../db/plan-features";
import { DAY, HOUR, MINUTE } from "./time";

/** Requests allowed per window; null means unlimited. */
export type Limits = Record<WindowName, number | null>;

export interface Span {
  start: number;
  end: number;
}

export interface Counter {
  start: number;
  count: number;
}

export interface WindowState {
  window: WindowName;
  limit: number | null;
  used: number;
  remaining: number | null;
  start: number;
  reset_at: number;
}

/** A window of any name: the plan's four, or a route's own (an action's runs per minute). */
export type NamedWindow = Omit<WindowState, "window"> & { window: string };

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
}

/** The anchor moved by `months`, its day clamped to the target month (Jan 31 → Feb 28). */
export function addMonths(anchor: number, months: number): number {
  return addMonthsOnDay(anchor, months, new Date(anchor).getUTCDate());
}

/**
 * `from` moved by `months`, on `day` of the target month clamped to its length, at the same time
 * of day. A period that was clamped returns to its day: Feb 28 + 1 month on day 31 → Mar 31.
 */
export function addMonthsOnDay(from: number, months: number, day: number): number {
  const d = new Date(from);
  const monthIndex = d.getUTCMonth() + months;
  const year = d.getUTCFullYear() + Math.floor(monthIndex / 12);
  const month = ((monthIndex % 12) + 12) % 12;
  const clamped = Math.min(day, daysInMonth(year, month));
  return Date.UTC(
    year,
    month,
    clamped,
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
    d.getUTCMilliseconds(),
  );
}

/**
 * The latest instant on `day` of a month (at `periodStart`'s time of day) that is not after
 * `periodStart`. Whole months counted from it land on every boundary of periods renewing on
 * `day`, even when `periodStart` itself was clamped: Feb 28 on day 31 gives Jan 31, so the
 * months run Feb 28 → Mar 31 → Apr 30.
 */
export function anchorOnDay(periodStart: number, day: number): number {
  // Every run of three months holds a 31-day one: at most two steps back.
  for (let back = 0; back < 3; back++) {
    const candidate = addMonthsOnDay(periodStart, -back, day);
    if (new Date(candidate).getUTCDate() === day && candidate <= periodStart) return candidate;
  }
  return periodStart;
}

/** The month window: the calendar month, or the billing period that holds `now`. */
export function monthSpan(now: number, billingAnchor: number | null): Span {
  if (billingAnchor === null) {
    const d = new Date(now);
    return {
      start: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1),
      end: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1),
    };
  }
  const a = new Date(billingAnchor);
  const n = new Date(now);
  let months = (n.getUTCFullYear() - a.getUTCFullYear()) * 12 + (n.getUTCMonth() - a.getUTCMonth());
  if (addMonths(billingAnchor, months) > now) months -= 1;
  return { start: addMonths(billingAnchor, months), end: addMonths(billingAnchor, months + 1) };
}

export function windowSpan(window: WindowName, now: number, billingAnchor: number | null): Span {
  const fixed = (size: number): Span => {
    const start = Math.floor(now / size) * size;
    return { start, end: start + size };
  };
  switch (window) {
    case "minute":
      return fixed(MINUTE);
    case "hour":
      return fixed(HOUR);
    case "day":
      return fixed(DAY);
    case "month":
      return monthSpan(now, billingAnchor);
  }
}

export type Counters = Partial<Record<WindowName, Counter>>;

export interface Evaluation {
  allowed: boolean;
  /** Each window as it stands after this request (unchanged when it was denied). */
  windows: WindowState[];
  /** The windows that had no room for this request's cost. */
  violations: WindowState[];
  /** The counters to store when allowed. */
  next: Record<WindowName, Counter>;
}

/**
 * Checks every window and admits the request only if all of them have room for `cost`; only then
 * are all four counted. A counter from an earlier window counts as zero (the window rolled over).
 */
export function evaluate(
  limits: Limits,
  counters: Counters,
  cost: number,
  now: number,
  billingAnchor: number | null,
): Evaluation {
  const spans = {} as Record<WindowName, Span>;
  const used = {} as Record<WindowName, number>;
  const violations: WindowName[] = [];
  for (const name of WINDOW_NAMES) {
    const span = windowSpan(name, now, billingAnchor);
    spans[name] = span;
    const counter = counters[name];
    used[name] = counter && counter.start === span.start ? counter.count : 0;
    const limit = limits[name];
    if (limit !== null && used[name] + cost > limit) violations.push(name);
  }
  const allowed = violations.length === 0;
  const next = {} as Record<WindowName, Counter>;
  const windows = WINDOW_NAMES.map((name): WindowState => {
    const count = allowed ? used[name] + cost : used[name];
    next[name] = { start: spans[name].start, count };
    const limit = limits[name];
    return {
      window: name,
      limit,
      used: count,
      remaining: limit === null ? null : Math.max(0, limit - count),
      start: spans[name].start,
      reset_at: spans[name].end,
    };
  });
  return {
    allowed,
    windows,
    violations: windows.filter((w) => violations.includes(w.window)),
    next,
  };
}

/** Seconds until every blocking window has room again (they reset to zero at their end). */
export function retryAfterSeconds(violations: { reset_at: number }[], now: number): number {
  const latest = Math.max(...violations.map((v) => v.reset_at));
  return Math.max(1, Math.ceil((latest - now) / 1000));
}
