// The four rate windows (minute, hour, day, month) of one subject: the check-and-count of a
// request, the limits its standing puts in force, and resets. Every method is synchronous, so
// the caller can check and count with no await in between.

import { WINDOW_NAMES, type WindowName } from "../db/plan-features";
import type { Standing } from "../db/schema";
import {
  type Counter,
  type Counters,
  evaluate,
  type Limits,
  type WindowState,
} from "../lib/windows";
import type { SubjectPolicy } from "../policy/policy";
import type { ConsumeRequest, CountedResult } from "./messages";

/** What the windows decide; the object adds the key that was used and the user's locale. */
export type Admission = Omit<CountedResult, "keyId" | "locale">;

const NO_LIMITS: Limits = { minute: 0, hour: 0, day: 0, month: 0 };

/** The limits in force: the free plan's while restricted; none at all without a policy. */
export function effectiveLimits(policy: SubjectPolicy | null): Limits {
  if (!policy) return NO_LIMITS;
  return policy.standing === "restricted" ? policy.freeLimits : policy.limits;
}

const UPSERT_ALL = `INSERT INTO counters (window, start, count) VALUES ${WINDOW_NAMES.map(() => "(?, ?, ?)").join(", ")}
  ON CONFLICT (window) DO UPDATE SET start = excluded.start, count = excluded.count`;

export class RateWindows {
  /** A copy of the `counters` rows, so the hot path reads memory and only writes SQLite. */
  private readonly counters: Counters = {};

  constructor(private readonly sql: SqlStorage) {
    for (const row of sql.exec<{ window: string; start: number; count: number }>(
      "SELECT window, start, count FROM counters",
    )) {
      this.counters[row.window as WindowName] = { start: row.start, count: row.count };
    }
  }

  /** The start of the newest window counted in: the object's clock never goes back past it. */
  latestStart(): number {
    return Math.max(0, ...Object.values(this.counters).map((c) => c.start));
  }

  /**
   * Decides a request and, when every window has room, counts it in all four. A subject with
   * limits in the request (anonymous) has no plan: good standing, calendar months.
   */
  admit(request: ConsumeRequest, policy: SubjectPolicy | null, now: number): Admission {
    const standing: Standing = request.limits ? "good" : (policy?.standing ?? "good");
    const billingAnchor = request.limits ? null : (policy?.billingAnchor ?? null);
    const limits = request.limits ?? effectiveLimits(policy);

    if (standing === "suspended" && !request.allowSuspended) {
      // Refused for the bill, not for the limits: shown the windows, charged nothing.
      const view = evaluate(limits, this.counters, 0, now, billingAnchor);
      return { outcome: "payment_required", standing, windows: view.windows, violations: [] };
    }

    const result = evaluate(limits, this.counters, request.cost, now, billingAnchor);
    if (result.allowed) this.writeAll(result.next);
    return {
      outcome: result.allowed ? "allowed" : "limited",
      standing,
      windows: result.windows,
      violations: result.violations,
    };
  }

  /** The windows as they stand under the policy's limits, counting nothing. */
  view(policy: SubjectPolicy | null, now: number): WindowState[] {
    return evaluate(effectiveLimits(policy), this.counters, 0, now, policy?.billingAnchor ?? null)
      .windows;
  }

  /** Sets the named windows back to zero. */
  reset(windows: readonly WindowName[]): void {
    for (const name of windows) {
      delete this.counters[name];
      this.sql.exec("DELETE FROM counters WHERE window = ?", name);
    }
  }

  /** The four windows after a counted request, in one statement: the hot path's only write. */
  private writeAll(next: Record<WindowName, Counter>): void {
    const values: (string | number)[] = [];
    for (const name of WINDOW_NAMES) {
      this.counters[name] = next[name];
      values.push(name, next[name].start, next[name].count);
    }
    this.sql.exec(UPSERT_ALL, ...values);
  }
}
