// The renewals job: what happens to subscriptions when their period (or trial) ends.
//
// - cancel_at_period_end: the subscription ends (PayPal, which was never told, is canceled now).
// - a scheduled downgrade: applied. A provider's was arranged there when it was asked for (it
//   bills the new price from this renewal on), so only our record moves; the renewal event
//   may have moved it already.
// - manual subscriptions (granted by an admin, no payment): the period rolls forward; a manual
//   trial becomes active.
// - provider-managed ones whose renewal event has not come RENEWAL_RESYNC_HOURS after the period
//   (or trial) end: re-synced from the provider, which decides (renewed, past due, expired…).
// - trials of PayPal and manual subscriptions ending within 3 days: one trial_ending email
//   (Stripe sends customer.subscription.trial_will_end, whose handler already emails).
//
// Every run works on what still needs work, so running it twice is running it once; at most
// RENEWALS_PER_RUN subscriptions per run, in id order, resuming after the last one seen (a
// subscription that keeps failing never holds up the others).
import { and, asc, eq, gt, inArray, lte, notExists, or, type SQL, sql } from "drizzle-orm";
import type { Db, Statement } from "../db";
import {
  emailOutbox,
  type Interval,
  type Plan,
  type Subscription,
  subscriptions,
  users,
} from "../db/schema";
import { enqueueEmails, guardedEmail } from "../email/outbox";
import type { Config, Env } from "../env";
import type { Job, JobCounts } from "../lib/jobs";
import { DAY, HOUR } from "../lib/time";
import { addMonthsOnDay } from "../lib/windows";
import type { PaidProvider, ProviderSubscriptionState } from "../payments/provider";
import { providerFor } from "../payments/providers";
import { anchorDayOf } from "../policy/anchor";
import { planById } from "../policy/current";
import { syncPoliciesAfterCommit } from "../ratelimit/client";
import { applyStateStatement, planForProviderPrice } from "../subscriptions/sync";

/** Subscriptions one run changes at most (each may take two or three provider calls). */
export const RENEWALS_PER_RUN = 100;
/** Trial reminders one run writes at most. */
export const TRIAL_REMINDERS_PER_RUN = 100;
/** How long before a trial ends its reminder goes out. */
export const TRIAL_REMINDER_LEAD = 3 * DAY;

// ---- what a subscription needs ---------------------------------------------------------------

const s = subscriptions;

/** Statuses this job looks at: the live ones except an unfinished checkout. */
const RENEWABLE = ["trialing", "active", "past_due", "paused"] as const;

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

type Work =
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

function needsWorkSql(now: number, resyncAfter: number): SQL | undefined {
  return and(
    inArray(s.status, [...RENEWABLE]),
    sql`${boundarySql} <= ${now}`,
    or(
      eq(s.cancelAtPeriodEnd, true),
      sql`${s.scheduledPlanId} is not null`,
      and(eq(s.provider, "manual"), inArray(s.status, ["active", "trialing"])),
      and(
        inArray(s.provider, ["stripe", "paypal"]),
        sql`${s.status} != 'paused'`,
        sql`${s.providerSubscriptionId} is not null`,
        sql`${boundarySql} <= ${now - resyncAfter}`,
        lte(s.providerStateAt, now - resyncAfter),
      ),
    ),
  );
}

/**
 * The period of `interval` that holds `now`, counted from `anchor` (whole intervals on), its
 * boundaries on `day` of their month (clamped to shorter months; by default the anchor's day).
 */
export function rollForward(
  anchor: number,
  interval: Interval,
  now: number,
  day = new Date(anchor).getUTCDate(),
): { start: number; end: number } {
  const step = interval === "year" ? 12 : 1;
  const at = (k: number) => (k === 0 ? anchor : addMonthsOnDay(anchor, step * k, day));
  // A first guess from the elapsed time, then exact steps (months differ in length).
  let k = Math.max(1, Math.floor((now - anchor) / (step * 31 * DAY)));
  while (k > 1 && at(k - 1) > now) k--;
  while (at(k) <= now) k++;
  return { start: at(k - 1), end: at(k) };
}

// ---- the job ---------------------------------------------------------------------------------

const COUNT_KEYS = [
  "canceled",
  "downgraded",
  "renewed",
  "trials_activated",
  "resynced",
  "ended_by_provider",
  "trial_reminders",
  "skipped",
  "failed",
] as const;
type Counts = Record<(typeof COUNT_KEYS)[number], number>;

interface Run {
  db: Db;
  env: Env;
  config: Config;
  now: number;
  counts: Counts;
}

/** Only if the row is still as it was read: a change in between (an event) wins, and the next
 * run looks again. */
const unchanged = (sub: Subscription) => and(eq(s.id, sub.id), eq(s.updatedAt, sub.updatedAt));

/**
 * A provider's report, fetched now, as the state to apply. It is newer than anything applied
 * before it was fetched, so it is stamped at least `now` (PayPal stamps the last status change,
 * which can be older than the event that told us about it). PayPal knows nothing of trials or
 * cancellations at the period end (those are ours) and leaves the period out once ended.
 */
function fetchedState(
  sub: Subscription,
  fetched: ProviderSubscriptionState,
  now: number,
): ProviderSubscriptionState {
  const state: ProviderSubscriptionState = {
    ...fetched,
    currentPeriodStart: fetched.currentPeriodStart ?? sub.currentPeriodStart,
    currentPeriodEnd: fetched.currentPeriodEnd ?? sub.currentPeriodEnd,
    stateAt: Math.max(fetched.stateAt, sub.providerStateAt, now),
  };
  if (sub.provider !== "paypal") return state;
  const ended = fetched.status === "canceled" || fetched.status === "expired";
  return {
    ...state,
    trialEnd: sub.trialEnd,
    cancelAtPeriodEnd: ended ? false : sub.cancelAtPeriodEnd,
    canceledAt:
      fetched.status === "canceled"
        ? (sub.canceledAt ?? fetched.canceledAt ?? now)
        : sub.cancelAtPeriodEnd
          ? sub.canceledAt
          : null,
  };
}

async function cancelAtBoundary(run: Run, sub: Subscription, boundary: number): Promise<boolean> {
  const { db, config, now } = run;
  if (sub.provider === "paypal") {
    // PayPal cancels at once only: tollgate kept the subscription until now.
    await providerFor("paypal", config).cancel(sub, {
      atPeriodEnd: false,
      reason: sub.cancelReason ?? "Canceled at the end of the billing period",
    });
  }
  // Stripe ends it by itself at the period end; its deleted event then changes nothing.
  const [updated] = await db.batch([
    db
      .update(s)
      .set({
        status: "canceled",
        endedAt: boundary,
        canceledAt: sql`coalesce(${s.canceledAt}, ${boundary})`,
        standing: "good",
        pastDueSince: null,
        scheduledPlanId: null,
        scheduledInterval: null,
        // What the provider said before the end is superseded: a late event never revives it.
        providerStateAt: sql`max(${s.providerStateAt}, ${boundary})`,
        updatedAt: now,
      })
      .where(and(unchanged(sub), eq(s.cancelAtPeriodEnd, true)))
      .returning({ id: s.id }),
  ]);
  return updated.length > 0;
}

async function scheduledPlan(db: Db, sub: Subscription): Promise<Plan> {
  const plan = sub.scheduledPlanId ? await planById(db, sub.scheduledPlanId) : null;
  if (!plan) throw new Error(`scheduled plan ${sub.scheduledPlanId} of ${sub.id} is missing`);
  return plan;
}

/** Manual: the scheduled plan, the period rolled forward past now, a trial made active. */
async function renewManual(
  run: Run,
  sub: Subscription,
  work: Extract<Work, { kind: "manual" }>,
): Promise<{ downgraded: boolean; rolled: boolean } | null> {
  const { db, now } = run;
  const target = work.downgrade ? await scheduledPlan(db, sub) : null;
  const interval = target ? (sub.scheduledInterval ?? sub.interval) : sub.interval;
  // A trial that ends starts the paid periods: they renew on the day it ended.
  const day = sub.status === "trialing" ? new Date(work.boundary).getUTCDate() : anchorDayOf(sub);
  const period = work.roll ? rollForward(work.boundary, interval, now, day ?? undefined) : null;
  const [updated] = await db.batch([
    db
      .update(s)
      .set({
        ...(target
          ? { planId: target.id, interval, scheduledPlanId: null, scheduledInterval: null }
          : {}),
        ...(period
          ? {
              status: "active",
              currentPeriodStart: period.start,
              currentPeriodEnd: period.end,
              billingAnchorDay: day,
            }
          : {}),
        updatedAt: now,
      })
      .where(unchanged(sub))
      .returning({ id: s.id }),
  ]);
  return updated.length > 0 ? { downgraded: target !== null, rolled: period !== null } : null;
}

/**
 * A provider subscription's scheduled downgrade, at its period end: the provider has had it since
 * it was asked for (src/subscriptions/scheduled-change.ts), so nothing is asked of it but its
 * state, applied with the new plan in one batch with clearing the schedule.
 */
async function downgradeAtProvider(run: Run, sub: Subscription & { provider: PaidProvider }) {
  const { db, config, now } = run;
  const target = await scheduledPlan(db, sub);
  const interval = sub.scheduledInterval ?? sub.interval;
  const provider = providerFor(sub.provider, config);
  const statements: Statement[] = [];
  if (sub.providerSubscriptionId) {
    try {
      const fetched = await provider.fetchSubscription(sub.providerSubscriptionId);
      statements.push(
        applyStateStatement(
          db,
          sub,
          fetchedState(sub, fetched, now),
          { plan: target, interval },
          now,
        ),
      );
    } catch (error) {
      // The downgrade stands; the period is re-synced later if no event brings it.
      console.error(
        JSON.stringify({ msg: "fetch after downgrade failed", id: sub.id, error: String(error) }),
      );
    }
  }
  const [updated] = await db.batch([
    db
      .update(s)
      .set({
        planId: target.id,
        interval,
        scheduledPlanId: null,
        scheduledInterval: null,
        updatedAt: now,
      })
      .where(and(unchanged(sub), eq(s.scheduledPlanId, target.id)))
      .returning({ id: s.id }),
    ...statements,
  ]);
  return updated.length > 0;
}

/** No renewal event came: ask the provider and apply what it says. */
async function resync(run: Run, sub: Subscription & { provider: PaidProvider }) {
  const { db, config, now } = run;
  if (!sub.providerSubscriptionId) return null;
  const fetched = await providerFor(sub.provider, config).fetchSubscription(
    sub.providerSubscriptionId,
  );
  const mapped = await planForProviderPrice(db, sub.provider, fetched.providerPriceId);
  const [result] = await db.batch([
    applyStateStatement(db, sub, fetchedState(sub, fetched, now), mapped, now),
  ]);
  const changes = (result as { meta?: { changes?: number } } | undefined)?.meta?.changes;
  return changes === 0 ? null : fetched.status;
}

const isPaid = (sub: Subscription): sub is Subscription & { provider: PaidProvider } =>
  sub.provider === "stripe" || sub.provider === "paypal";

async function renewOne(run: Run, sub: Subscription, work: Work): Promise<boolean> {
  const { counts } = run;
  switch (work.kind) {
    case "cancel":
      if (!(await cancelAtBoundary(run, sub, work.boundary))) return false;
      counts.canceled++;
      return true;
    case "manual": {
      const done = await renewManual(run, sub, work);
      if (!done) return false;
      if (done.downgraded) counts.downgraded++;
      if (done.rolled) {
        if (sub.status === "trialing") counts.trials_activated++;
        else counts.renewed++;
      }
      return true;
    }
    case "downgrade":
      if (!isPaid(sub) || !(await downgradeAtProvider(run, sub))) return false;
      counts.downgraded++;
      return true;
    case "resync": {
      if (!isPaid(sub)) return false;
      const status = await resync(run, sub);
      if (status === null) return false;
      counts.resynced++;
      if (status === "canceled" || status === "expired") counts.ended_by_provider++;
      return true;
    }
  }
}

async function renewDue(run: Run, cursor: string | null): Promise<string | null> {
  const { db, env, config, now, counts } = run;
  const resyncAfter = config.RENEWAL_RESYNC_HOURS * HOUR;
  const due = await db
    .select()
    .from(s)
    .where(and(needsWorkSql(now, resyncAfter), cursor ? gt(s.id, cursor) : undefined))
    .orderBy(asc(s.id))
    .limit(RENEWALS_PER_RUN);
  for (const sub of due) {
    const work = workFor(sub, now, resyncAfter);
    if (!work) continue;
    try {
      if (await renewOne(run, sub, work)) {
        await syncPoliciesAfterCommit({ env, config, now, origin: "job renewals" }, db, [
          sub.userId,
        ]);
      } else {
        counts.skipped++;
      }
    } catch (error) {
      counts.failed++;
      console.error(
        JSON.stringify({
          msg: "renewal failed",
          subscription: sub.id,
          work: work.kind,
          error: String(error),
        }),
      );
    }
  }
  // A full batch: the next run goes on after it. Otherwise the next run starts over.
  return due.length === RENEWALS_PER_RUN ? (due.at(-1)?.id ?? null) : null;
}

/** When the trial started: the email must be newer than that to count as this trial's. */
const trialStartSql = sql`coalesce(${s.currentPeriodStart}, ${s.createdAt})`;

async function remindTrials(run: Run): Promise<void> {
  const { db, env, now, counts } = run;
  const ending = await db
    .select()
    .from(s)
    .where(
      and(
        eq(s.status, "trialing"),
        inArray(s.provider, ["paypal", "manual"]),
        eq(s.cancelAtPeriodEnd, false),
        gt(s.trialEnd, now),
        lte(s.trialEnd, now + TRIAL_REMINDER_LEAD),
        sql`exists (select 1 from ${users} where ${users.id} = ${s.userId} and ${users.status} = 'active')`,
        notExists(
          db
            .select({ one: sql`1` })
            .from(emailOutbox)
            .where(
              and(
                eq(emailOutbox.userId, s.userId),
                eq(emailOutbox.template, "trial_ending"),
                sql`${emailOutbox.createdAt} >= ${trialStartSql}`,
              ),
            ),
        ),
      ),
    )
    .orderBy(asc(s.trialEnd), asc(s.id))
    .limit(TRIAL_REMINDERS_PER_RUN);
  const written: string[] = [];
  for (const sub of ending) {
    try {
      const plan = await planById(db, sub.planId);
      const trialStart = sub.currentPeriodStart ?? sub.createdAt;
      const email = guardedEmail(
        db,
        {
          userId: sub.userId,
          template: "trial_ending",
          vars: {
            plan: plan?.name ?? "paid",
            trialEnd: new Date(sub.trialEnd ?? now).toISOString().slice(0, 10),
          },
          when: notExists(
            db
              .select({ one: sql`1` })
              .from(emailOutbox)
              .where(
                and(
                  eq(emailOutbox.userId, sub.userId),
                  eq(emailOutbox.template, "trial_ending"),
                  sql`${emailOutbox.createdAt} >= ${trialStart}`,
                ),
              ),
          ),
        },
        now,
      );
      const [inserted] = await db.batch([email.statement]);
      if (inserted.length > 0) {
        counts.trial_reminders++;
        written.push(email.id);
      } else {
        counts.skipped++;
      }
    } catch (error) {
      counts.failed++;
      console.error(
        JSON.stringify({
          msg: "trial reminder failed",
          subscription: sub.id,
          error: String(error),
        }),
      );
    }
  }
  await enqueueEmails(env, written);
}

export const renewalsJob: Job = async ({ db, env, config, now, cursor, setCursor }) => {
  const counts = Object.fromEntries(COUNT_KEYS.map((k) => [k, 0])) as Counts;
  const run: Run = { db, env, config, now, counts };
  setCursor(await renewDue(run, cursor));
  await remindTrials(run);
  return counts satisfies JobCounts;
};
