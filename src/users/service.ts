import { and, eq, inArray, isNull } from "drizzle-orm";
import { hashPassword, UNUSABLE_PASSWORD_HASH, verifyPassword } from "../auth/passwords";
import { revokeUserSessionsStatement } from "../auth/sessions";
import type { Db } from "../db";
import {
  apiKeys,
  authTokens,
  devices,
  emailOutbox,
  refreshTokens,
  sessions,
  type User,
  users,
} from "../db/schema";
import { defaultSettings, type UserSettings } from "../db/user-settings";
import { deleteUserCalendarStatements } from "../events/account";
import type { Locale } from "../i18n";
import { msg } from "../i18n";
import type { ServiceContext } from "../lib/context";
import { ApiError, notFound } from "../lib/errors";
import { deleteUserNotificationsStatements } from "../notifications/service";
import { currentSubscription, isEntitled, planById } from "../policy/current";
import { freePlan, limitsOf } from "../policy/policy";
import {
  endSessionsAfterCommit,
  pushPolicyBeforeCommit,
  syncPoliciesAfterCommit,
} from "../ratelimit/client";
import { endSubscriptionsForDeletion } from "../subscriptions/account-closure";
import { subscriptionView } from "../subscriptions/view";

/** The caller's own user row. A deleted or disabled account cannot act on itself. */
export async function loadSelf(db: Db, userId: string): Promise<User> {
  const user = await db.query.users.findFirst({ where: eq(users.id, userId) });
  if (!user || user.status === "deleted")
    throw new ApiError("invalid_token", msg("problems.invalid_token.account_gone"));
  if (user.status === "disabled") throw new ApiError("account_disabled");
  return user;
}

/** The user's plan as /v1/me shows it. */
/** The plan in force and the current subscription, as /v1/me shows them (one look-up each). */
export async function billingSummary(db: Db, userId: string) {
  const subscription = await currentSubscription(db, userId);
  const subscribed = subscription ? await planById(db, subscription.planId) : null;
  const plan = (isEntitled(subscription) && subscribed) || (await freePlan(db));
  return {
    plan: { id: plan.id, code: plan.code, name: plan.name, limits: limitsOf(plan) },
    subscription: subscription ? subscriptionView(subscription, subscribed) : null,
  };
}

export async function updateProfile(
  ctx: ServiceContext,
  userId: string,
  patch: {
    name?: string | null | undefined;
    locale?: Locale | null | undefined;
    timezone?: string | null | undefined;
    phone?: string | null | undefined;
  },
): Promise<User> {
  const { db, now } = ctx;
  await loadSelf(db, userId);
  const changes: Partial<User> = { updatedAt: now };
  if (patch.name !== undefined) changes.name = patch.name;
  if (patch.locale !== undefined) changes.locale = patch.locale;
  if (patch.timezone !== undefined) changes.timezone = patch.timezone;
  if (patch.phone !== undefined) changes.phone = patch.phone;
  const [updated] = await db.update(users).set(changes).where(eq(users.id, userId)).returning();
  if (!updated) throw notFound("User");
  // Requests without Accept-Language answer in the new language from the next one on.
  if (patch.locale !== undefined) await syncPoliciesAfterCommit(ctx, [userId]);
  return updated;
}

export async function replaceSettings(
  { db, now }: ServiceContext,
  userId: string,
  settings: UserSettings,
): Promise<UserSettings> {
  await loadSelf(db, userId);
  await db.update(users).set({ settings, updatedAt: now }).where(eq(users.id, userId));
  return settings;
}

/** Ends every other session (all of them when the caller used an API key). */
export async function changePassword(
  ctx: ServiceContext,
  userId: string,
  sessionId: string | null,
  current: string,
  next: string,
): Promise<void> {
  const { db, now } = ctx;
  const user = await loadSelf(db, userId);
  if (!(await verifyPassword(current, user.passwordHash))) throw new ApiError("incorrect_password");
  const [, revoked] = await db.batch([
    db
      .update(users)
      .set({ passwordHash: await hashPassword(next), updatedAt: now })
      .where(eq(users.id, userId)),
    revokeUserSessionsStatement(
      db,
      userId,
      "password_changed",
      now,
      sessionId ? { except: sessionId } : {},
    ),
  ]);
  await endSessionsAfterCommit(
    ctx,
    userId,
    revoked.map((s) => s.id),
  );
}

/**
 * Deletes the account: personal data goes, the row stays anonymized so that records accounting
 * must keep (payments, audit entries) still point at something. One batch: all or nothing.
 * After the password check and before anything is deleted, billing stops (every live
 * subscription ended, at the provider first) and then the user's object refuses its
 * credentials: fail closed, if either cannot be done that is the answer and nothing is deleted.
 */
export async function deleteAccount(
  ctx: ServiceContext,
  userId: string,
  password: string,
): Promise<void> {
  const { db, env, now } = ctx;
  const user = await loadSelf(db, userId);
  if (!(await verifyPassword(password, user.passwordHash)))
    throw new ApiError("incorrect_password");
  await endSubscriptionsForDeletion(ctx, userId);
  await pushPolicyBeforeCommit(env, userId, { accountActive: false }, now);
  const userSessionIds = db
    .select({ id: sessions.id })
    .from(sessions)
    .where(eq(sessions.userId, userId));
  const [, deletedSessions] = await db.batch([
    db.delete(refreshTokens).where(inArray(refreshTokens.sessionId, userSessionIds)),
    db.delete(sessions).where(eq(sessions.userId, userId)).returning({ id: sessions.id }),
    db.delete(authTokens).where(eq(authTokens.userId, userId)),
    db
      .update(apiKeys)
      .set({ revokedAt: now })
      .where(and(eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt))),
    db.delete(emailOutbox).where(eq(emailOutbox.userId, userId)),
    ...deleteUserNotificationsStatements(db, userId),
    db.delete(devices).where(eq(devices.userId, userId)),
    ...deleteUserCalendarStatements(db, userId),
    db
      .update(users)
      .set({
        email: `deleted+${userId}@deleted.invalid`,
        name: null,
        locale: null,
        timezone: null,
        phone: null,
        passwordHash: UNUSABLE_PASSWORD_HASH,
        settings: defaultSettings(),
        status: "deleted",
        deletedAt: now,
        updatedAt: now,
      })
      .where(eq(users.id, userId)),
  ]);
  await endSessionsAfterCommit(
    ctx,
    userId,
    deletedSessions.map((s) => s.id),
  );
}
