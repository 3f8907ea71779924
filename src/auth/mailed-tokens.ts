import { and, eq, gt, isNull, sql } from "drizzle-orm";
import type { Db } from "../db";
import { type AUTH_TOKEN_PURPOSES, authTokens } from "../db/schema";
import { randomToken, sha256Hex } from "../lib/crypto";
import { newId } from "../lib/ids";
import { DAY, HOUR } from "../lib/time";

export type MailedTokenPurpose = (typeof AUTH_TOKEN_PURPOSES)[number];

const LIFETIME: Record<MailedTokenPurpose, number> = {
  email_verify: DAY,
  password_reset: HOUR,
};

/**
 * A new single-use token for the user, superseding any earlier unused one of the same purpose
 * (only the newest link works). Returns the token to mail and the statements for a batch.
 */
export async function issueMailedToken(
  db: Db,
  userId: string,
  purpose: MailedTokenPurpose,
  now: number,
) {
  const token = randomToken();
  const statements = [
    db
      .update(authTokens)
      .set({ usedAt: now })
      .where(
        and(
          eq(authTokens.userId, userId),
          eq(authTokens.purpose, purpose),
          isNull(authTokens.usedAt),
        ),
      ),
    db.insert(authTokens).values({
      id: newId("atk"),
      userId,
      purpose,
      tokenHash: await sha256Hex(token),
      createdAt: now,
      expiresAt: now + LIFETIME[purpose],
    }),
  ] as const;
  return { token, statements };
}

export interface LiveMailedToken {
  id: string;
  userId: string;
}

/** Finds an unused, unexpired token of that purpose by its hash. */
export async function findLiveMailedToken(
  db: Db,
  token: string,
  purpose: MailedTokenPurpose,
  now: number,
): Promise<LiveMailedToken | null> {
  const row = await db
    .select({ id: authTokens.id, userId: authTokens.userId })
    .from(authTokens)
    .where(
      and(
        eq(authTokens.tokenHash, await sha256Hex(token)),
        eq(authTokens.purpose, purpose),
        isNull(authTokens.usedAt),
        gt(authTokens.expiresAt, now),
      ),
    )
    .get();
  return row ?? null;
}

/**
 * SQL condition "this token is still unspent", to guard the statements a token authorizes.
 * Put the guarded statements before `spendMailedToken` in one batch: they all see the same
 * state, so a token spent concurrently changes nothing.
 */
export function stillUnspent(tokenId: string, now: number) {
  return sql`exists (select 1 from ${authTokens} where ${authTokens.id} = ${tokenId} and ${authTokens.usedAt} is null and ${authTokens.expiresAt} > ${now})`;
}

export function spendMailedToken(db: Db, tokenId: string, now: number) {
  return db
    .update(authTokens)
    .set({ usedAt: now })
    .where(
      and(eq(authTokens.id, tokenId), isNull(authTokens.usedAt), gt(authTokens.expiresAt, now)),
    )
    .returning({ id: authTokens.id });
}
