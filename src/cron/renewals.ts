// The renewals job: what happens to subscriptions when their period (or trial) ends.
//
// - cancel_at_period_end: the subscription ends (PayPal, which was never told, is canceled now):
//   ./renewal-cancel.ts.
// - a scheduled downgrade: applied. A provider's was arranged there when it was asked for (it
//   bills the new price from this renewal on), so only our record moves; the renewal event
//   may have moved it already: ./renewal-downgrade.ts.
// - manual subscriptions (granted by an admin, no payment): the period rolls forward; a manual
//   trial becomes active: ./renewal-manual.ts.
// - provider-managed ones whose renewal event has not come RENEWAL_RESYNC_HOURS after the period
//   (or trial) end: re-synced from the provider, which decides (renewed, past due, expired…):
//   ./renewal-resync.ts.
// - trials of PayPal and manual subscriptions ending within 3 days: one trial_ending email
//   (Stripe sends customer.subscription.trial_will_end, whose handler already emails), and
//   subscriptions canceled at their period end that end within 3 days: one notice
//   (./trial-reminders.ts).
//
// Which subscriptions need which work is ./renewal-work.ts. Every run works on what still needs
// work, so running it twice is running it once; at most RENEWALS_PER_RUN subscriptions per run,
// in id order, resuming after the last one seen (a subscription that keeps failing never holds up
// the others).
import { and, asc, gt } from "drizzle-orm";
import { type Subscription, subscriptions } from "../db/schema";
import type { ServiceContext } from "../lib/context";
import type { Job, JobCounts } from "../lib/jobs";
import { HOUR } from "../lib/time";
import type { PaidProvider } from "../payments/provider";
import { syncPoliciesAfterCommit } from "../ratelimit/client";
import { cancelAtBoundary } from "./renewal-cancel";
import { downgradeAtProvider } from "./renewal-downgrade";
import { renewManual } from "./renewal-manual";
import { type Change, tellRenewal } from "./renewal-notices";
import { resync } from "./renewal-resync";
import { needsWorkSql, type Work, workFor } from "./renewal-work";
import { remindEndings, remindTrials } from "./trial-reminders";

/** Subscriptions one run changes at most (each may take two or three provider calls). */
export const RENEWALS_PER_RUN = 100;

const s = subscriptions;

const COUNT_KEYS = [
  "canceled",
  "downgraded",
  "renewed",
  "trials_activated",
  "resynced",
  "ended_by_provider",
  "trial_reminders",
  "ending_reminders",
  "skipped",
  "failed",
] as const;
type Counts = Record<(typeof COUNT_KEYS)[number], number>;

interface Run extends ServiceContext {
  counts: Counts;
}

const isPaid = (sub: Subscription): sub is Subscription & { provider: PaidProvider } =>
  sub.provider === "stripe" || sub.provider === "paypal";

/** Does the work; answers what to tell the user (null: not done, the row changed). */
async function renewOne(run: Run, sub: Subscription, work: Work): Promise<Change[] | null> {
  const { counts } = run;
  switch (work.kind) {
    case "cancel":
      if (!(await cancelAtBoundary(run, sub, work.boundary))) return null;
      counts.canceled++;
      return [{ kind: "canceled" }];
    case "manual": {
      const done = await renewManual(run, sub, work);
      if (!done) return null;
      const changes: Change[] = [];
      if (done.downgradedTo) {
        counts.downgraded++;
        changes.push({ kind: "plan_changed", to: done.downgradedTo, at: work.boundary });
      }
      if (done.period) {
        if (sub.status === "trialing") counts.trials_activated++;
        else {
          counts.renewed++;
          changes.push({ kind: "renewed", period: done.period });
        }
      }
      return changes;
    }
    case "downgrade": {
      const target = isPaid(sub) ? await downgradeAtProvider(run, sub) : null;
      if (!target) return null;
      counts.downgraded++;
      return [{ kind: "plan_changed", to: target, at: work.boundary }];
    }
    case "resync": {
      if (!isPaid(sub)) return null;
      const status = await resync(run, sub);
      if (status === null) return null;
      counts.resynced++;
      if (status !== "canceled" && status !== "expired") return [];
      counts.ended_by_provider++;
      return [{ kind: "canceled" }];
    }
  }
}

async function renewDue(run: Run, cursor: string | null): Promise<string | null> {
  const { db, config, now, counts } = run;
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
      const changes = await renewOne(run, sub, work);
      if (changes) {
        await syncPoliciesAfterCommit(run, [sub.userId]);
        await tellRenewal(run, sub, changes);
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

export const renewalsJob: Job = async ({ cursor, setCursor, ...ctx }) => {
  const counts = Object.fromEntries(COUNT_KEYS.map((k) => [k, 0])) as Counts;
  const run: Run = { ...ctx, counts };
  setCursor(await renewDue(run, cursor));
  await remindTrials(run, counts);
  await remindEndings(run, counts);
  return counts satisfies JobCounts;
};
