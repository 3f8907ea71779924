// Trials of PayPal and manual subscriptions ending within TRIAL_REMINDER_LEAD: one trial_ending
// email each (Stripe sends customer.subscription.trial_will_end, whose handler already emails).
import { and, asc, eq, gt, inArray, lte, notExists, sql } from "drizzle-orm";
import { emailOutbox, subscriptions, users } from "../db/schema";
import { enqueueEmails, guardedEmail } from "../email/outbox";
import type { ServiceContext } from "../lib/context";
import { DAY } from "../lib/time";
import { planById } from "../policy/current";

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
  skipped: number;
  failed: number;
}

/** Writes the reminders due now (each once per trial) and hands them to the email queue. */
export async function remindTrials(
  { db, env, now }: ServiceContext,
  counts: ReminderCounts,
): Promise<void> {
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
