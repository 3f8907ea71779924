import { and, eq, isNull, ne, type SQL, sql } from "drizzle-orm";
import type { Db } from "../db";
import { refreshTokens, sessions, type User } from "../db/schema";
import type { Config } from "../env";
import type { ServiceContext } from "../lib/context";
import { randomToken, sha256Hex } from "../lib/crypto";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";
import type { ClientMeta } from "../lib/request";
import { DAY } from "../lib/time";
import { endSessionsAfterCommit } from "./session-end";
import { signAccessToken } from "./tokens";

export interface IssuedTokens {
  access_token: string;
  refresh_token: string;
  token_type: "Bearer";
  expires_in: number;
}

/** The statements that open a session with its first refresh token, for the caller's batch. */
export async function openSessionStatements(
  db: Db,
  config: Config,
  userId: string,
  meta: ClientMeta,
  now: number,
) {
  const sessionId = newId("ses");
  const refreshToken = randomToken();
  const statements = [
    db.insert(sessions).values({
      id: sessionId,
      userId,
      createdAt: now,
      lastUsedAt: now,
      userAgent: meta.userAgent?.slice(0, 300) ?? null,
      ip: meta.ip,
    }),
    db.insert(refreshTokens).values({
      id: newId("rtk"),
      sessionId,
      tokenHash: await sha256Hex(refreshToken),
      createdAt: now,
      expiresAt: now + config.REFRESH_TOKEN_TTL_DAYS * DAY,
    }),
  ] as const;
  return { sessionId, refreshToken, statements };
}

export async function issueTokens(
  config: Config,
  user: Pick<User, "id" | "role">,
  sessionId: string,
  refreshToken: string,
  now: number,
): Promise<IssuedTokens> {
  return {
    access_token: await signAccessToken(
      config,
      { sub: user.id, role: user.role, sid: sessionId },
      now,
    ),
    refresh_token: refreshToken,
    token_type: "Bearer",
    expires_in: config.ACCESS_TOKEN_TTL_SECONDS,
  };
}

export function revokeSessionStatement(db: Db, sessionId: string, reason: string, now: number) {
  return db
    .update(sessions)
    .set({ revokedAt: now, revokedReason: reason })
    .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
}

/**
 * Revokes every live session of a user, optionally sparing one (the caller's own), and
 * optionally only while `guard` holds (see mailed-tokens' stillUnspent).
 */
export function revokeUserSessionsStatement(
  db: Db,
  userId: string,
  reason: string,
  now: number,
  options: { except?: string; guard?: SQL } = {},
) {
  return db
    .update(sessions)
    .set({ revokedAt: now, revokedReason: reason })
    .where(
      and(
        eq(sessions.userId, userId),
        isNull(sessions.revokedAt),
        options.except ? ne(sessions.id, options.except) : undefined,
        options.guard,
      ),
    )
    .returning({ id: sessions.id });
}

/**
 * Rotates a refresh token: the presented one is spent and a new one is returned. Presenting a
 * spent token means it leaked (or a client raced itself): the whole session is revoked, so the
 * newest token in the family stops working too.
 */
export async function rotateRefreshToken(
  ctx: ServiceContext,
  presented: string,
): Promise<{ userId: string; sessionId: string; refreshToken: string }> {
  const { db, config, now } = ctx;
  const tokenHash = await sha256Hex(presented);
  const row = await db
    .select({
      id: refreshTokens.id,
      sessionId: refreshTokens.sessionId,
      expiresAt: refreshTokens.expiresAt,
      usedAt: refreshTokens.usedAt,
      userId: sessions.userId,
      revokedAt: sessions.revokedAt,
    })
    .from(refreshTokens)
    .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
    .where(eq(refreshTokens.tokenHash, tokenHash))
    .get();
  if (!row || row.revokedAt !== null || row.expiresAt <= now) {
    throw new ApiError("invalid_refresh_token");
  }
  if (row.usedAt !== null) {
    await revokeSessionStatement(db, row.sessionId, "refresh_token_reuse", now);
    await endSessionsAfterCommit(ctx, row.userId, [row.sessionId]);
    throw new ApiError("invalid_refresh_token");
  }

  const next = randomToken();
  const nextId = newId("rtk");
  const nextHash = await sha256Hex(next);
  const expiresAt = now + config.REFRESH_TOKEN_TTL_DAYS * DAY;
  // One transaction: the new token is inserted only while the old one is still unspent and its
  // session live, and then the old one is spent. Two concurrent refreshes cannot both win.
  const [inserted] = await db.batch([
    db
      .insert(refreshTokens)
      .select(
        db
          .select({
            id: sql<string>`${nextId}`.as("id"),
            sessionId: refreshTokens.sessionId,
            tokenHash: sql<string>`${nextHash}`.as("token_hash"),
            createdAt: sql<number>`${now}`.as("created_at"),
            expiresAt: sql<number>`${expiresAt}`.as("expires_at"),
            usedAt: sql<null>`null`.as("used_at"),
          })
          .from(refreshTokens)
          .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
          .where(
            and(
              eq(refreshTokens.id, row.id),
              isNull(refreshTokens.usedAt),
              isNull(sessions.revokedAt),
            ),
          ),
      )
      .returning({ id: refreshTokens.id }),
    db
      .update(refreshTokens)
      .set({ usedAt: now })
      .where(and(eq(refreshTokens.id, row.id), isNull(refreshTokens.usedAt))),
    db.update(sessions).set({ lastUsedAt: now }).where(eq(sessions.id, row.sessionId)),
  ]);
  if (inserted.length === 0) {
    await revokeSessionStatement(db, row.sessionId, "refresh_token_reuse", now);
    await endSessionsAfterCommit(ctx, row.userId, [row.sessionId]);
    throw new ApiError("invalid_refresh_token");
  }
  return { userId: row.userId, sessionId: row.sessionId, refreshToken: next };
}

/** Logout: the session the refresh token belongs to ends. Unknown tokens are a quiet no-op. */
export async function revokeByRefreshToken(ctx: ServiceContext, presented: string): Promise<void> {
  const { db, now } = ctx;
  const row = await db
    .select({ sessionId: refreshTokens.sessionId, userId: sessions.userId })
    .from(refreshTokens)
    .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
    .where(eq(refreshTokens.tokenHash, await sha256Hex(presented)))
    .get();
  if (!row) return;
  const revoked = await revokeSessionStatement(db, row.sessionId, "logout", now);
  await endSessionsAfterCommit(
    ctx,
    row.userId,
    revoked.map((s) => s.id),
  );
}

/** Ends every session of the user (logout everywhere). */
export async function revokeAllSessions(
  ctx: ServiceContext,
  userId: string,
  reason: string,
): Promise<void> {
  const revoked = await revokeUserSessionsStatement(ctx.db, userId, reason, ctx.now);
  await endSessionsAfterCommit(
    ctx,
    userId,
    revoked.map((s) => s.id),
  );
}
