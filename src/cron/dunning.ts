// The dunning job: a subscriber's standing follows how long their subscription has been past due.
//
//   past due                         → past_due   (what payment events set; stragglers here)
//   past due > BILLING_GRACE_DAYS    → restricted (the free plan's limits) + access_restricted
//   past due > SUSPEND_AFTER_DAYS    → suspended  (402 on the API, account routes still open)
//                                                  + access_suspended
//   no longer past due, not good     → good       (payment events do this; stragglers here)
//
// Standing only steps forward while past due, and the standing column records the step taken,
// so each email goes out once per step (a subscription past due longer than both thresholds at
// once goes straight to suspended, with that email only). Each change and its email are one
// batch, guarded on the row being as it was read; the user's limiter is synced after it.
import { and, asc, eq, inArray, isNull, lt, ne, or, type SQL, sql } from "drizzle-orm";
import { type Standing, type Subscription, subscriptions } from "../db/schema";
import { enqueueEmails, guardedEmail } from "../email/outbox";
import type { Job } from "../lib/jobs";
import { DAY } from "../lib/time";
import { planById } from "../policy/current";
import { syncPoliciesAfterCommit } from "../ratelimit/client";

/** Subscriptions one run changes at most; the rest wait for the next run (hourly). */
export const DUNNING_PER_RUN = 200;

const RANK: Record<Standing, number> = { good: 0, past_due: 1, restricted: 2, suspended: 3 };

const s = subscriptions;

/** The standing a subscription should have now; never behind the one it has while past due. */
export function dunningStanding(
  sub: Pick<Subscription, "status" | "standing" | "pastDueSince">,
  now: number,
  graceDays: number,
  suspendAfterDays: number,
): Standing {
  if (sub.status !== "past_due") return "good";
  const since = sub.pastDueSince ?? now;
  const due: Standing =
    since < now - suspendAfterDays * DAY
      ? "suspended"
      : since < now - graceDays * DAY
        ? "restricted"
        : "past_due";
  return RANK[due] > RANK[sub.standing] ? due : sub.standing;
}

/** The row is still as it was read (standing and past-due clock included). */
function asRead(sub: Subscription): SQL {
  return sql`${s.status} = ${sub.status} and ${s.standing} = ${sub.standing} and ${s.pastDueSince} is ${sub.pastDueSince}`;
}

export const dunningJob: Job = async (ctx) => {
  const { db, env, config, now } = ctx;
  const counts = { past_due: 0, restricted: 0, suspended: 0, recovered: 0, skipped: 0, failed: 0 };
  const graceCut = now - config.BILLING_GRACE_DAYS * DAY;
  const suspendCut = now - config.SUSPEND_AFTER_DAYS * DAY;
  // Only what needs a step: what a run changes drops out, so the next run continues.
  const candidates = await db
    .select()
    .from(s)
    .where(
      or(
        and(
          eq(s.status, "past_due"),
          or(
            isNull(s.pastDueSince),
            eq(s.standing, "good"),
            and(lt(s.pastDueSince, graceCut), inArray(s.standing, ["good", "past_due"])),
            and(lt(s.pastDueSince, suspendCut), ne(s.standing, "suspended")),
          ),
        ),
        and(ne(s.status, "past_due"), ne(s.standing, "good")),
      ),
    )
    .orderBy(asc(s.id))
    .limit(DUNNING_PER_RUN);

  const emails: string[] = [];
  for (const sub of candidates) {
    const standing = dunningStanding(
      sub,
      now,
      config.BILLING_GRACE_DAYS,
      config.SUSPEND_AFTER_DAYS,
    );
    const pastDue = sub.status === "past_due";
    try {
      const email =
        pastDue &&
        (standing === "restricted" || standing === "suspended") &&
        standing !== sub.standing
          ? guardedEmail(
              db,
              {
                userId: sub.userId,
                template: standing === "restricted" ? "access_restricted" : "access_suspended",
                vars: { plan: (await planById(db, sub.planId))?.name ?? null },
                when: sql`exists (select 1 from ${s} where ${s.id} = ${sub.id} and ${asRead(sub)})`,
              },
              now,
            )
          : null;
      const update = db
        .update(s)
        .set({
          standing,
          pastDueSince: pastDue ? (sub.pastDueSince ?? now) : null,
          updatedAt: now,
        })
        .where(and(eq(s.id, sub.id), asRead(sub)))
        .returning({ id: s.id });
      let updated: { id: string }[];
      let inserted: { id: string }[] = [];
      if (email) {
        [inserted, updated] = await db.batch([email.statement, update]);
      } else {
        [updated] = await db.batch([update]);
      }
      if (updated.length === 0) {
        // Changed since it was read (a payment came in): the next run looks again.
        counts.skipped++;
        continue;
      }
      if (email && inserted.length > 0) emails.push(email.id);
      if (!pastDue) counts.recovered++;
      else if (standing === "suspended" || standing === "restricted") counts[standing]++;
      else counts.past_due++;
      await syncPoliciesAfterCommit(ctx, [sub.userId]);
    } catch (error) {
      counts.failed++;
      console.error(
        JSON.stringify({ msg: "dunning step failed", subscription: sub.id, error: String(error) }),
      );
    }
  }
  await enqueueEmails(env, emails);
  return counts;
};
