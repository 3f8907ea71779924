import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "../db";
import { isUniqueViolation } from "../db";
import { apiKeys, type User, users } from "../db/schema";
import { defaultSettings } from "../db/user-settings";
import { outboxInsert } from "../email/outbox";
import type { Config } from "../env";
import type { Locale } from "../i18n";
import type { ServiceContext } from "../lib/context";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";
import type { ClientMeta } from "../lib/request";
import { endSessionsAfterCommit, revokeApiKeysAfterCommit } from "../ratelimit/client";
import {
  findLiveMailedToken,
  issueMailedToken,
  spendMailedToken,
  stillUnspent,
} from "./mailed-tokens";
import { hashPassword, needsRehash, UNUSABLE_PASSWORD_HASH, verifyPassword } from "./passwords";
import {
  type IssuedTokens,
  issueTokens,
  openSessionStatements,
  revokeUserSessionsStatement,
  rotateRefreshToken,
} from "./sessions";

export interface AuthResult extends IssuedTokens {
  user: User;
}

function link(config: Config, path: string, token: string): string {
  const url = new URL(path, config.APP_URL);
  url.searchParams.set("token", token);
  return url.toString();
}

const MAIL_FOR = {
  email_verify: { template: "verify_email", path: "/verify-email" },
  password_reset: { template: "password_reset", path: "/reset-password" },
} as const;

/** A new single-use token and the email that carries its link, as statements for one batch. */
async function mailedTokenStatements(
  db: Db,
  config: Config,
  user: Pick<User, "id" | "email">,
  purpose: keyof typeof MAIL_FOR,
  now: number,
  locale: Locale,
) {
  const issued = await issueMailedToken(db, user.id, purpose, now);
  const { template, path } = MAIL_FOR[purpose];
  const mail = outboxInsert(
    db,
    {
      userId: user.id,
      to: user.email,
      template,
      vars: { link: link(config, path, issued.token) },
      locale,
    },
    now,
  );
  return { outboxId: mail.id, statements: [...issued.statements, mail.statement] as const };
}

export async function findUserByEmail(db: Db, email: string): Promise<User | undefined> {
  return db.query.users.findFirst({ where: eq(users.email, email) });
}

export async function findActiveUser(db: Db, userId: string): Promise<User | undefined> {
  return db.query.users.findFirst({ where: and(eq(users.id, userId), eq(users.status, "active")) });
}

/**
 * A new account. `locale` is the language the request asked for (Accept-Language), kept as the
 * user's; the verification email is in the request's language.
 */
export async function signup(
  { db, config, now }: ServiceContext,
  input: { email: string; password: string; name?: string | undefined },
  meta: ClientMeta,
  language: { locale: Locale | null; request: Locale },
): Promise<AuthResult & { outboxIds: string[] }> {
  if (await findUserByEmail(db, input.email)) throw new ApiError("email_taken");
  const user: User = {
    id: newId("usr"),
    email: input.email,
    name: input.name ?? null,
    role: "user",
    status: "active",
    passwordHash: await hashPassword(input.password),
    emailVerifiedAt: null,
    locale: language.locale,
    timezone: null,
    phone: null,
    settings: defaultSettings(),
    createdAt: now,
    updatedAt: now,
    deletedAt: null,
  };
  const session = await openSessionStatements(db, config, user.id, meta, now);
  const verify = await mailedTokenStatements(
    db,
    config,
    user,
    "email_verify",
    now,
    language.request,
  );
  try {
    await db.batch([db.insert(users).values(user), ...session.statements, ...verify.statements]);
  } catch (error) {
    // Two signups for one email at once: the unique index decides, the loser gets a 409.
    if (isUniqueViolation(error)) throw new ApiError("email_taken");
    throw error;
  }
  const tokens = await issueTokens(config, user, session.sessionId, session.refreshToken, now);
  return { user, ...tokens, outboxIds: [verify.outboxId] };
}

export async function login(
  { db, config, now }: ServiceContext,
  input: { email: string; password: string },
  meta: ClientMeta,
): Promise<AuthResult> {
  const found = await findUserByEmail(db, input.email);
  const user = found?.status === "deleted" ? undefined : found;
  // Unknown emails are checked against an unusable hash: same work, same answer, same time.
  const valid = await verifyPassword(input.password, user?.passwordHash ?? UNUSABLE_PASSWORD_HASH);
  if (!user || !valid) throw new ApiError("invalid_credentials");
  // Only someone who knows the password learns that the account is disabled.
  if (user.status === "disabled") throw new ApiError("account_disabled");

  const session = await openSessionStatements(db, config, user.id, meta, now);
  const rehash = needsRehash(user.passwordHash)
    ? [
        db
          .update(users)
          .set({ passwordHash: await hashPassword(input.password), updatedAt: now })
          .where(eq(users.id, user.id)),
      ]
    : [];
  await db.batch([...session.statements, ...rehash]);
  const tokens = await issueTokens(config, user, session.sessionId, session.refreshToken, now);
  return { user, ...tokens };
}

export async function refresh(ctx: ServiceContext, presented: string): Promise<AuthResult> {
  const { db, config, now } = ctx;
  const rotated = await rotateRefreshToken(ctx, presented);
  const user = await findActiveUser(db, rotated.userId);
  // Disabling or deleting a user revokes its sessions; this also covers a race with that.
  if (!user) throw new ApiError("invalid_refresh_token");
  const tokens = await issueTokens(config, user, rotated.sessionId, rotated.refreshToken, now);
  return { user, ...tokens };
}

/**
 * Always succeeds from the caller's view; returns outbox ids only when an email was written. The
 * email is in the user's language, else the request's.
 */
export async function forgotPassword(
  { db, config, now }: ServiceContext,
  email: string,
  requestLocale: Locale,
): Promise<string[]> {
  const user = await findUserByEmail(db, email);
  if (user?.status !== "active") return [];
  const locale = user.locale ?? requestLocale;
  const reset = await mailedTokenStatements(db, config, user, "password_reset", now, locale);
  await db.batch(reset.statements);
  return [reset.outboxId];
}

export async function resetPassword(
  ctx: ServiceContext,
  token: string,
  password: string,
): Promise<void> {
  const { db, now } = ctx;
  const live = await findLiveMailedToken(db, token, "password_reset", now);
  if (!live) throw new ApiError("invalid_or_expired_token");
  const passwordHash = await hashPassword(password);
  const guard = stillUnspent(live.id, now);
  // A reset is an account recovery: whoever held the account before loses every credential,
  // API keys included.
  const [, revoked, keys, spent] = await db.batch([
    db
      .update(users)
      .set({ passwordHash, updatedAt: now })
      .where(and(eq(users.id, live.userId), guard)),
    revokeUserSessionsStatement(db, live.userId, "password_reset", now, { guard }),
    db
      .update(apiKeys)
      .set({ revokedAt: now })
      .where(and(eq(apiKeys.userId, live.userId), isNull(apiKeys.revokedAt), guard))
      .returning({ hash: apiKeys.keyHash }),
    spendMailedToken(db, live.id, now),
  ]);
  if (spent.length === 0) throw new ApiError("invalid_or_expired_token");
  await endSessionsAfterCommit(
    ctx,
    live.userId,
    revoked.map((s) => s.id),
  );
  await revokeApiKeysAfterCommit(
    ctx,
    live.userId,
    keys.map((k) => k.hash),
  );
}

export async function verifyEmail(
  { db, config, now }: ServiceContext,
  token: string,
): Promise<void> {
  const live = await findLiveMailedToken(db, token, "email_verify", now);
  if (!live) throw new ApiError("invalid_or_expired_token");
  const user = await db.query.users.findFirst({ where: eq(users.id, live.userId) });
  if (!user) throw new ApiError("invalid_or_expired_token");
  // Emails listed in ADMIN_EMAILS become admins once their owner proves they read them.
  const promote = config.ADMIN_EMAILS.includes(user.email);
  const [, spent] = await db.batch([
    db
      .update(users)
      .set({
        emailVerifiedAt: user.emailVerifiedAt ?? now,
        updatedAt: now,
        ...(promote ? { role: "admin" as const } : {}),
      })
      .where(and(eq(users.id, user.id), stillUnspent(live.id, now))),
    spendMailedToken(db, live.id, now),
  ]);
  if (spent.length === 0) throw new ApiError("invalid_or_expired_token");
}

/**
 * A fresh verification email (in the user's language, else the request's); a no-op for verified
 * users. Returns the outbox ids written.
 */
export async function resendVerification(
  { db, config, now }: ServiceContext,
  userId: string,
  requestLocale: Locale,
): Promise<string[]> {
  const user = await findActiveUser(db, userId);
  if (!user || user.emailVerifiedAt !== null) return [];
  const locale = user.locale ?? requestLocale;
  const verify = await mailedTokenStatements(db, config, user, "email_verify", now, locale);
  await db.batch(verify.statements);
  return [verify.outboxId];
}
