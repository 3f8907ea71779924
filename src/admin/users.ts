import { and, eq, sql } from "drizzle-orm";
import { auditInsert } from "../audit/audit";
import { publicUser } from "../auth/serialize";
import { revokeUserSessionsStatement } from "../auth/sessions";
import type { Db } from "../db";
import { auditLog, type User, users } from "../db/schema";
import { msg } from "../i18n";
import type { ServiceContext } from "../lib/context";
import { ApiError, notFound } from "../lib/errors";
import { keysetPage } from "../lib/pagination";
import { iso } from "../lib/time";
import {
  endSessionsAfterCommit,
  pushPolicyBeforeCommit,
  syncPoliciesAfterCommit,
} from "../ratelimit/client";

export function adminUser(user: User) {
  return {
    ...publicUser(user),
    status: user.status,
    locale: user.locale,
    timezone: user.timezone,
    updated_at: iso(user.updatedAt),
  };
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

export async function listUsers(
  db: Db,
  query: { limit: number; cursor?: string | undefined; email?: string | undefined },
) {
  const { items, next_cursor: nextCursor } = await keysetPage(
    query,
    ({ after, orderBy, limit }) =>
      db
        .select()
        .from(users)
        .where(
          and(
            after,
            query.email
              ? sql`${users.email} like ${`%${escapeLike(query.email.toLowerCase())}%`} escape '\\'`
              : undefined,
          ),
        )
        .orderBy(...orderBy)
        .limit(limit),
    { time: users.createdAt, id: users.id, timeOf: (row) => row.createdAt },
  );
  return { data: items.map(adminUser), next_cursor: nextCursor };
}

export async function getUser(db: Db, id: string): Promise<User> {
  const user = await db.query.users.findFirst({ where: eq(users.id, id) });
  if (!user) throw notFound("User");
  return user;
}

/**
 * Changes a user's role or status. A disabled account's credentials (sessions and API keys) are
 * refused from the next request on: its object is told before D1 records it (fail closed), and
 * its sessions end in the same batch. Re-enabling restores its API keys, after the commit.
 */
export async function updateUser(
  ctx: ServiceContext,
  actorId: string,
  id: string,
  patch: { role?: "user" | "admin" | undefined; status?: "active" | "disabled" | undefined },
): Promise<User> {
  const { db, env, now } = ctx;
  if (id === actorId) throw new ApiError("forbidden", msg("problems.forbidden.own_role"));
  const before = await getUser(db, id);
  if (before.status === "deleted")
    throw new ApiError("forbidden", msg("problems.forbidden.deleted_account"));
  const disabling = patch.status === "disabled" && before.status !== "disabled";
  // Fail closed: the user's object refuses its credentials before D1 says disabled.
  if (disabling) await pushPolicyBeforeCommit(env, id, { accountActive: false }, now);
  const changes = {
    ...(patch.role === undefined ? {} : { role: patch.role }),
    ...(patch.status === undefined ? {} : { status: patch.status }),
  };
  const update = db
    .update(users)
    .set({ ...changes, updatedAt: now })
    .where(eq(users.id, id))
    .returning();
  const audit = auditInsert(
    db,
    {
      actorId,
      action: "user.update",
      targetType: "user",
      targetId: id,
      data: { before: { role: before.role, status: before.status }, after: changes },
    },
    now,
  );
  // A disabled user's sessions die with it, in the same batch.
  const [updated, , revoked] = disabling
    ? await db.batch([update, audit, revokeUserSessionsStatement(db, id, "account_disabled", now)])
    : [...(await db.batch([update, audit])), []];
  const user = updated[0];
  if (!user) throw notFound("User");
  // Re-enabled: committed already, so a failed push is logged and the reconcile heals it.
  if (user.status === "active" && before.status !== "active") {
    await syncPoliciesAfterCommit(ctx, [id]);
  }
  await endSessionsAfterCommit(
    ctx,
    id,
    revoked.map((s) => s.id),
  );
  return user;
}

export async function listAudit(
  db: Db,
  query: {
    limit: number;
    cursor?: string | undefined;
    actor_id?: string | undefined;
    target_id?: string | undefined;
    action?: string | undefined;
  },
) {
  const { items, next_cursor: nextCursor } = await keysetPage(
    query,
    ({ after, orderBy, limit }) =>
      db
        .select()
        .from(auditLog)
        .where(
          and(
            after,
            query.actor_id ? eq(auditLog.actorId, query.actor_id) : undefined,
            query.target_id ? eq(auditLog.targetId, query.target_id) : undefined,
            query.action ? eq(auditLog.action, query.action) : undefined,
          ),
        )
        .orderBy(...orderBy)
        .limit(limit),
    { time: auditLog.createdAt, id: auditLog.id, timeOf: (row) => row.createdAt },
  );
  return {
    data: items.map((a) => ({
      id: a.id,
      actor_id: a.actorId,
      action: a.action,
      target_type: a.targetType,
      target_id: a.targetId,
      data: a.data,
      created_at: iso(a.createdAt),
    })),
    next_cursor: nextCursor,
  };
}
