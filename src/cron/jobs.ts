import { and, eq, inArray, isNotNull, lt, or } from "drizzle-orm";
import type { Db } from "../db";
import { authTokens, emailOutbox, refreshTokens } from "../db/schema";
import { MAX_EMAIL_ATTEMPTS } from "../email/consumer";
import { enqueueEmails } from "../email/outbox";
import type { Env } from "../env";
import { MINUTE } from "../lib/time";

export interface JobContext {
  db: Db;
  env: Env;
  now: number;
}

export type JobCounts = Record<string, number>;
export type Job = (ctx: JobContext) => Promise<JobCounts>;

const BATCH = 500;

/**
 * Emails whose queue message was lost (the enqueue after the commit failed, or the isolate
 * died) are still `pending` in the outbox: hand them to the queue again. Delivery skips rows
 * that are no longer pending, so a duplicate message sends nothing twice.
 */
export const emailOutboxSweep: Job = async ({ db, env, now }) => {
  const stale = await db
    .select({ id: emailOutbox.id })
    .from(emailOutbox)
    .where(
      and(
        eq(emailOutbox.status, "pending"),
        lt(emailOutbox.createdAt, now - 10 * MINUTE),
        lt(emailOutbox.attempts, MAX_EMAIL_ATTEMPTS),
      ),
    )
    .limit(BATCH);
  await enqueueEmails(
    env,
    stale.map((r) => r.id),
  );
  return { requeued: stale.length };
};

/** Expired refresh tokens and spent or expired mailed tokens are of no use to anyone. */
export const tokenCleanup: Job = async ({ db, now }) => {
  const expiredRefresh = db
    .select({ id: refreshTokens.id })
    .from(refreshTokens)
    .where(lt(refreshTokens.expiresAt, now))
    .limit(BATCH);
  const deadMailed = db
    .select({ id: authTokens.id })
    .from(authTokens)
    .where(or(lt(authTokens.expiresAt, now), isNotNull(authTokens.usedAt)))
    .limit(BATCH);
  const [refreshDeleted, mailedDeleted] = await db.batch([
    db
      .delete(refreshTokens)
      .where(inArray(refreshTokens.id, expiredRefresh))
      .returning({ id: refreshTokens.id }),
    db
      .delete(authTokens)
      .where(inArray(authTokens.id, deadMailed))
      .returning({ id: authTokens.id }),
  ]);
  return {
    refresh_tokens_deleted: refreshDeleted.length,
    mailed_tokens_deleted: mailedDeleted.length,
  };
};

/** Which jobs each cron expression in wrangler.toml runs. */
export const SCHEDULE: Record<string, Record<string, Job>> = {
  "*/10 * * * *": { "email-outbox-sweep": emailOutboxSweep },
  "5 * * * *": { "token-cleanup": tokenCleanup },
};
