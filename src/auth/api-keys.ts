import { and, desc, eq, gt, isNull, or, sql } from "drizzle-orm";
import { apiKeys } from "../db/schema";
import { msg } from "../i18n";
import type { ServiceContext } from "../lib/context";
import { sha256Hex } from "../lib/crypto";
import { ApiError, notFound } from "../lib/errors";
import { newId } from "../lib/ids";
import { iso } from "../lib/time";
import { maxApiKeys, planForUser } from "../policy/policy";
import { addApiKeyBeforeCommit, apiKeyUsage, removeApiKeyBeforeCommit } from "../ratelimit/client";
import { apiKeyPrefix, mintApiKey } from "./api-key-format";

function liveKeysOf(userId: string, now: number) {
  return and(
    eq(apiKeys.userId, userId),
    isNull(apiKeys.revokedAt),
    or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now)),
  );
}

export function apiKeyView(row: typeof apiKeys.$inferSelect, lastUsedAt: number | null) {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    created_at: iso(row.createdAt),
    last_used_at: iso(lastUsedAt),
    expires_at: iso(row.expiresAt),
  };
}

/**
 * Creates a key, capped by the plan's max_api_keys. The cap is checked inside the insert itself,
 * so two concurrent creations cannot both slip under it. The key is returned once, here.
 */
export async function createApiKey(
  { db, env, config, now }: ServiceContext,
  userId: string,
  input: { name: string; expires_at?: string | undefined },
) {
  const expiresAt = input.expires_at ? Date.parse(input.expires_at) : null;
  if (expiresAt !== null && expiresAt <= now) {
    throw new ApiError("invalid_request", msg("problems.invalid_request.expires_in_past"), {
      errors: [{ path: "expires_at", message: msg("validation.in_future") }],
    });
  }
  const plan = await planForUser(db, userId);
  const cap = maxApiKeys(plan.features);
  const key = await mintApiKey(userId, config.API_KEY_SECRET);
  const row = {
    id: newId("key"),
    userId,
    name: input.name,
    prefix: apiKeyPrefix(key),
    keyHash: await sha256Hex(key),
    createdAt: now,
    expiresAt,
    lastUsedAt: null,
    revokedAt: null,
  };
  // The owner's object learns the key first: a key that is shown can always be verified.
  await addApiKeyBeforeCommit(env, userId, { id: row.id, hash: row.keyHash, expiresAt });
  const inserted = await db
    .insert(apiKeys)
    .select(
      db
        .select({
          id: sql<string>`${row.id}`.as("id"),
          userId: sql<string>`${userId}`.as("user_id"),
          name: sql<string>`${row.name}`.as("name"),
          prefix: sql<string>`${row.prefix}`.as("prefix"),
          keyHash: sql<string>`${row.keyHash}`.as("key_hash"),
          createdAt: sql<number>`${now}`.as("created_at"),
          expiresAt: sql<number | null>`${expiresAt}`.as("expires_at"),
          lastUsedAt: sql<null>`null`.as("last_used_at"),
          revokedAt: sql<null>`null`.as("revoked_at"),
        })
        .from(sql`(select 1)`)
        .where(sql`(select count(*) from ${apiKeys} where ${liveKeysOf(userId, now)}) < ${cap}`),
    )
    .returning({ id: apiKeys.id });
  if (inserted.length === 0) {
    // Over the cap: the hash the object holds was never given to anyone; drop it.
    await removeApiKeyBeforeCommit(env, userId, row.keyHash);
    throw new ApiError("forbidden", msg("problems.forbidden.api_key_cap", { count: cap }), {
      extensions: { limit: cap },
    });
  }
  return { ...apiKeyView(row, null), key };
}

export async function listApiKeys({ db, env }: ServiceContext, userId: string) {
  const [rows, usage] = await Promise.all([
    db
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt)))
      .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id)),
    // Last use is recorded by the object on each request and reaches D1 hourly; ask it.
    apiKeyUsage(env, userId),
  ]);
  const lastUsed = new Map(usage.map((u) => [u.id, u.last_used_at]));
  return rows.map((row) => apiKeyView(row, lastUsed.get(row.id) ?? row.lastUsedAt));
}

/** Revokes a key: the owner's object forgets it first, so the very next request fails. */
export async function revokeApiKey(
  { db, env, now }: ServiceContext,
  userId: string,
  keyId: string,
) {
  const row = await db
    .select({ hash: apiKeys.keyHash })
    .from(apiKeys)
    .where(and(eq(apiKeys.id, keyId), eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt)))
    .get();
  if (!row) throw notFound("API key");
  await removeApiKeyBeforeCommit(env, userId, row.hash);
  await db.update(apiKeys).set({ revokedAt: now }).where(eq(apiKeys.id, keyId));
}
