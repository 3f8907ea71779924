// Named fixed-window counters beside the four rate windows: brute-force protection (attempts
// per email…) and the plan's metered quotas (`exports: {limit, window}`). Synchronous, so a
// check and its count are one step, exactly like the rate windows.
import { isQuota } from "../db/plan-features";
import { type NamedWindow, type Span, windowSpan } from "../lib/windows";
import type { SubjectPolicy } from "../policy/policy";
import type { BucketResult } from "./messages";

/** Quotas share the table with brute-force buckets; the prefix keeps their names apart. */
const QUOTA_PREFIX = "quota:";
const ROUTE_PREFIX = "route:";

export class Buckets {
  constructor(private readonly sql: SqlStorage) {}

  /**
   * A positive cost is taken only if it fits under `limit` (null: always); a negative cost
   * gives back what an earlier call took in the same window (a login that turned out right).
   */
  hit(
    name: string,
    limit: number | null,
    windowMs: number,
    cost: number,
    now: number,
  ): BucketResult {
    const start = Math.floor(now / windowMs) * windowMs;
    const span: Span = { start, end: start + windowMs };
    const used = this.used(name, span);
    if (cost > 0 && limit !== null && used + cost > limit) {
      return refused(name, limit, used, span);
    }
    const next = Math.max(0, used + cost);
    this.write(name, span, next);
    return taken(name, limit, next, span);
  }

  /**
   * A route's own window (an action's runs per minute), checked without counting: `commit`
   * counts `cost` in it. For a caller that has more to check before it counts anything.
   */
  check(
    name: string,
    limit: number,
    windowMs: number,
    cost: number,
    now: number,
  ): { allowed: boolean; window: NamedWindow; unchanged: NamedWindow; commit: () => void } {
    const start = Math.floor(now / windowMs) * windowMs;
    const span: Span = { start, end: start + windowMs };
    const key = `${ROUTE_PREFIX}${name}`;
    const used = this.used(key, span);
    const allowed = used + cost <= limit;
    const view = (count: number): NamedWindow => ({
      window: name,
      limit,
      used: count,
      remaining: Math.max(0, limit - count),
      start: span.start,
      reset_at: span.end,
    });
    return {
      allowed,
      window: view(allowed ? used + cost : used),
      unchanged: view(used),
      commit: () => this.write(key, span, used + cost),
    };
  }

  /**
   * A metered quota from the plan's features, taken only when it fits; its month window
   * follows the billing anchor. A feature the plan lacks has a limit of 0.
   */
  meter(name: string, policy: SubjectPolicy | null, cost: number, now: number): BucketResult {
    const quota = policy?.features[name];
    const window = isQuota(quota) ? quota.window : "month";
    const limit = isQuota(quota) ? quota.limit : 0;
    const span = windowSpan(window, now, policy?.billingAnchor ?? null);
    const key = `${QUOTA_PREFIX}${name}`;
    const used = this.used(key, span);
    if (used + cost > limit) return refused(name, limit, used, span);
    this.write(key, span, used + cost);
    return taken(name, limit, used + cost, span);
  }

  /** What the bucket holds in this window; a count from an earlier window has rolled over. */
  private used(key: string, span: Span): number {
    const row = this.sql
      .exec<{ start: number; count: number }>(
        "SELECT start, count FROM buckets WHERE name = ?",
        key,
      )
      .toArray()[0];
    return row && row.start === span.start ? row.count : 0;
  }

  private write(key: string, span: Span, count: number): void {
    this.sql.exec(
      "INSERT INTO buckets (name, start, count) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET start = excluded.start, count = excluded.count",
      key,
      span.start,
      count,
    );
  }
}

function refused(name: string, limit: number | null, used: number, span: Span): BucketResult {
  return { allowed: false, name, limit, used, reset_at: span.end };
}

function taken(name: string, limit: number | null, used: number, span: Span): BucketResult {
  return { allowed: true, name, limit, used, reset_at: span.end };
}
