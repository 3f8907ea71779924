// The admin user list: newest first, searched by email and filtered by plan, standing and
// status, each user with the plan in force and their standing (from D1, like the limiter's
// policy), and on request each one's current usage (from their RateLimiter objects).
import { and, desc, eq, getTableColumns, inArray, type SQL, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import type { Db } from "../db";
import { plans, type Standing, subscriptions, type User, users } from "../db/schema";
import type { ServiceContext } from "../lib/context";
import { keysetPage } from "../lib/pagination";
import { ENTITLED_STATUSES } from "../policy/current";
import { FREE_PLAN_CODE } from "../policy/policy";
import { usageSnapshot } from "../ratelimit/client";
import { windowsView } from "../ratelimit/usage";
import { adminUser } from "./users";

export interface UserListQuery {
  limit: number;
  cursor?: string | undefined;
  email?: string | undefined;
  plan?: string | undefined;
  standing?: Standing | undefined;
  status?: User["status"] | undefined;
  usage?: boolean | undefined;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

/** The subscription whose plan is in force, joined per user: the newest that entitles. */
const current = alias(subscriptions, "current_subscription");
const currentPlan = alias(plans, "current_plan");

function entitledSubscriptionOf(db: Db) {
  return db
    .select({ id: subscriptions.id })
    .from(subscriptions)
    .where(
      and(
        eq(subscriptions.userId, users.id),
        inArray(subscriptions.status, [...ENTITLED_STATUSES]),
      ),
    )
    .orderBy(desc(subscriptions.createdAt), desc(subscriptions.id))
    .limit(1);
}

const planCode: SQL<string> = sql`coalesce(${currentPlan.code}, ${FREE_PLAN_CODE})`;
const standing: SQL<Standing> = sql`coalesce(${current.standing}, 'good')`;

export async function listUsers(
  ctx: Pick<ServiceContext, "db" | "env" | "now">,
  query: UserListQuery,
) {
  const { db } = ctx;
  const { items, next_cursor: nextCursor } = await keysetPage(
    query,
    ({ after, orderBy, limit }) =>
      db
        .select({ ...getTableColumns(users), planCode, standing })
        .from(users)
        .leftJoin(current, eq(current.id, sql`(${entitledSubscriptionOf(db)})`))
        .leftJoin(currentPlan, eq(currentPlan.id, current.planId))
        .where(
          and(
            after,
            query.email
              ? sql`${users.email} like ${`%${escapeLike(query.email.toLowerCase())}%`} escape '\\'`
              : undefined,
            query.plan ? eq(planCode, query.plan) : undefined,
            query.standing ? eq(standing, query.standing) : undefined,
            query.status ? eq(users.status, query.status) : undefined,
          ),
        )
        .orderBy(...orderBy)
        .limit(limit),
    { time: users.createdAt, id: users.id, timeOf: (row) => row.createdAt },
  );
  // One RPC per user, side by side. A deleted account has no usage to show; an object that
  // fails to answer shows none either (logged), rather than failing the whole page.
  const usage = query.usage
    ? await Promise.all(
        items.map(async (row) => {
          if (row.status === "deleted") return null;
          try {
            return windowsView((await usageSnapshot(ctx.env, row.id, ctx.now, 0)).windows);
          } catch (error) {
            console.error(
              JSON.stringify({ msg: "usage snapshot failed", user: row.id, error: String(error) }),
            );
            return null;
          }
        }),
      )
    : null;
  return {
    data: items.map((row, i) => ({
      ...adminUser(row),
      plan: row.planCode,
      standing: row.standing,
      ...(usage ? { usage: usage[i] ?? null } : {}),
    })),
    next_cursor: nextCursor,
  };
}
