// Which subscriptions the renewals job has work for, and what: in TypeScript (`workFor`, per row)
// and in SQL (`needsWorkSql`, to select them), which must agree.
import { and, eq, inArray, lte, or, type SQL, sql } from "drizzle-orm";
import { PAID_PROVIDERS, type Subscription, subscriptions } from "../db/schema";
import { RUNNING_STATUSES as RENEWABLE } from "../policy/current";

const s = subscriptions;

/** When the subscription's current term ends: the trial's end while trialing, else the period's. */
function boundaryOf(sub: Subscription): number | null {
  if (sub.status === "trialing" && sub.trialEnd !== null) {
    return sub.currentPeriodEnd === null
      ? sub.trialEnd
      : Math.min(sub.trialEnd, sub.currentPeriodEnd);
  }
  return sub.currentPeriodEnd;
}

/** boundaryOf, in SQL (SQLite's two-argument min is null when either is). */
const boundarySql = sql`(case when ${s.status} = 'trialing' and ${s.trialEnd} is not null then min(${s.trialEnd}, coalesce(${s.currentPeriodEnd}, ${s.trialEnd})) else ${s.currentPeriodEnd} end)`;

export type Work =
  | { kind: "cancel"; boundary: number }
  | { kind: "manual"; boundary: number; downgrade: boolean; roll: boolean }
  | { kind: "downgrade"; boundary: number }
  | { kind: "resync"; boundary: number };

/** What the job does to this subscription now; null: nothing (yet). Mirrors `needsWorkSql`. */
export function workFor(sub: Subscription, now: number, resyncAfter: number): Work | null {
  if (!(RENEWABLE as readonly string[]).includes(sub.status)) return null;
  const boundary = boundaryOf(sub);
  if (boundary === null || boundary > now) return null;
  if (sub.cancelAtPeriodEnd) return { kind: "cancel", boundary };
  const downgrade = sub.scheduledPlanId !== null;
  if (sub.provider === "manual") {
    const roll = sub.status === "active" || sub.status === "trialing";
    return downgrade || roll ? { kind: "manual", boundary, downgrade, roll } : null;
  }
  if (downgrade) return { kind: "downgrade", boundary };
  if (
    sub.status !== "paused" &&
    sub.providerSubscriptionId !== null &&
    boundary <= now - resyncAfter &&
    sub.providerStateAt <= now - resyncAfter
  ) {
    return { kind: "resync", boundary };
  }
  return null;
}

/** The subscriptions `workFor` has work for, as a where clause. */
export function needsWorkSql(now: number, resyncAfter: number): SQL | undefined {
  return and(
    inArray(s.status, [...RENEWABLE]),
    sql`${boundarySql} <= ${now}`,
    or(
      eq(s.cancelAtPeriodEnd, true),
      sql`${s.scheduledPlanId} is not null`,
      and(eq(s.provider, "manual"), inArray(s.status, ["active", "trialing"])),
      and(
        inArray(s.provider, [...PAID_PROVIDERS]),
        sql`${s.status} != 'paused'`,
        sql`${s.providerSubscriptionId} is not null`,
        sql`${boundarySql} <= ${now - resyncAfter}`,
        lte(s.providerStateAt, now - resyncAfter),
      ),
    ),
  );
}

/** Only if the row is still as it was read: a change in between (an event) wins, and the next
 * run looks again. */
export const unchanged = (sub: Subscription) =>
  and(eq(s.id, sub.id), eq(s.updatedAt, sub.updatedAt));
