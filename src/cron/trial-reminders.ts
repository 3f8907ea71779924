// Trials of PayPal and manual subscriptions ending within TRIAL_REMINDER_LEAD: one trial_ending
// email each (Stripe sends customer.subscription.trial_will_end, whose handler already emails),
// with its notice on the other channels. Subscriptions of any provider that end at their period
// end (canceled at the period end) within the same lead: one subscription_ending notice each.
import { and, asc, eq, gt, inArray, lte, notExists, sql } from "drizzle-orm";
import { emailOutbox, notifications, subscriptions, users } from "../db/schema";
import { enqueueEmails, guardedEmail } from "../email/outbox";
import type { ServiceContext } from "../lib/context";
import { DAY } from "../lib/time";
import { notifySystem, notifySystemAfterCommit } from "../notifications/notices";
import { planById, RUNNING_STATUSES } from "../policy/current";

/** Trial reminders one run writes at most. */
export const TRIAL_REMINDERS_PER_RUN = 100;
/** How long before a trial ends its reminder goes out. */
export const TRIAL_REMINDER_LEAD = 3 * DAY;

const s = subscriptions;

/** When the trial started: the email must be newer than that to count as this trial's. */
const trialStartSql = sql`coalesce(${s.currentPeriodStart}, ${s.createdAt})`;

/** What a run of reminders adds to the renewals job's counts. */
export interface ReminderCounts {
  trial_reminders: number;
  ending_reminders: number;
  skipped: number;
  failed: number;
}

/** Writes the reminders due now (each once per trial) and hands them to the email queue. */
export async function remindTrials(ctx: ServiceContext, counts: ReminderCounts): Promise<void> {
  const { db, env, now } = ctx;
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
          vars: { plan: plan?.name ?? null, trialEnd: sub.trialEnd ?? now },
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
        // The email says it: the notice keeps to the other channels (notifications/system.ts).
        await notifySystemAfterCommit(ctx, sub.userId, {
          kind: "trial_ending",
          subscriptionId: sub.id,
          plan: plan?.name ?? null,
          endsAt: sub.trialEnd ?? now,
        });
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

/** The key of a subscription's ending notice, as SQL (notifications/system.ts dedupeKey). */
const endingKeySql = sql`'subscription_ending:' || ${s.id} || ':' || ${s.currentPeriodEnd}`;

/**
 * One subscription_ending notice per subscription that ends at its period end within
 * TRIAL_REMINDER_LEAD (any provider: none of them says so itself). The notice's dedupe key makes
 * it once; the query leaves out those that have it, so a run looks only at what is still due.
 */
export async function remindEndings(ctx: ServiceContext, counts: ReminderCounts): Promise<void> {
  const { db, now } = ctx;
  const ending = await db
    .select()
    .from(s)
    .where(
      and(
        inArray(s.status, [...RUNNING_STATUSES]),
        eq(s.cancelAtPeriodEnd, true),
        gt(s.currentPeriodEnd, now),
        lte(s.currentPeriodEnd, now + TRIAL_REMINDER_LEAD),
        sql`exists (select 1 from ${users} where ${users.id} = ${s.userId} and ${users.status} = 'active')`,
        notExists(
          db
            .select({ one: sql`1` })
            .from(notifications)
            .where(
              and(eq(notifications.userId, s.userId), eq(notifications.dedupeKey, endingKeySql)),
            ),
        ),
      ),
    )
    .orderBy(asc(s.currentPeriodEnd), asc(s.id))
    .limit(TRIAL_REMINDERS_PER_RUN);
  for (const sub of ending) {
    try {
      const plan = await planById(db, sub.planId);
      const id = await notifySystem(ctx, sub.userId, {
        kind: "subscription_ending",
        subscriptionId: sub.id,
        plan: plan?.name ?? null,
        endsAt: sub.currentPeriodEnd ?? now,
      });
      if (id) counts.ending_reminders++;
      else counts.skipped++;
    } catch (error) {
      counts.failed++;
      console.error(
        JSON.stringify({
          msg: "ending reminder failed",
          subscription: sub.id,
          error: String(error),
        }),
      );
    }
  }
}
