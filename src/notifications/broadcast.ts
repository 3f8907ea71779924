import { and, asc, count, eq, exists, gt, inArray, isNull, not, type SQL, sql } from "drizzle-orm";
import { auditInsert } from "../audit/audit";
import type { Db } from "../db";
import {
  type BroadcastAudience,
  type Channel,
  type NotificationBroadcast,
  notificationBroadcasts,
  plans,
  subscriptions,
  users,
} from "../db/schema";
import { msg } from "../i18n";
import type { ServiceContext } from "../lib/context";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";
import { ENTITLED_STATUSES } from "../policy/current";
import {
  afterNotificationsCommit,
  commitNotifications,
  prepareNotification,
  recipientOf,
  wasStored,
  withStreams,
} from "./notify";

/** Recipients notified per queue message: one D1 batch of a few statements each. */
export const BROADCAST_PAGE = 50;

export interface BroadcastInput {
  user_ids?: string[] | undefined;
  /** A plan's id or code; the free plan means every user without a paid entitlement. */
  plan?: string | undefined;
  title: string;
  body: string;
  channels: Channel[];
}

const entitledOn = (planId: string) =>
  exists(
    sql`(select 1 from ${subscriptions} where ${subscriptions.userId} = ${users.id} and ${subscriptions.planId} = ${planId} and ${inArray(subscriptions.status, [...ENTITLED_STATUSES])})`,
  );
const entitledAnywhere = () =>
  exists(
    sql`(select 1 from ${subscriptions} where ${subscriptions.userId} = ${users.id} and ${inArray(subscriptions.status, [...ENTITLED_STATUSES])})`,
  );

/** The audience as a condition on active users (the free plan: no paid entitlement). */
async function audienceWhere(db: Db, audience: BroadcastAudience): Promise<SQL | undefined> {
  const active = eq(users.status, "active");
  if ("user_ids" in audience) {
    // One bound JSON array, not a parameter per id (D1 binds at most 100 per query).
    const ids = JSON.stringify(audience.user_ids);
    return and(active, sql`${users.id} in (select value from json_each(${ids}))`);
  }
  if ("plan_id" in audience) {
    const [plan] = await db
      .select({ code: plans.code })
      .from(plans)
      .where(eq(plans.id, audience.plan_id));
    return and(
      active,
      plan?.code === "free" ? not(entitledAnywhere()) : entitledOn(audience.plan_id),
    );
  }
  return active;
}

async function resolveAudience(db: Db, input: BroadcastInput): Promise<BroadcastAudience> {
  if (input.user_ids) return { user_ids: [...new Set(input.user_ids)] };
  if (input.plan === undefined) return { all: true };
  const [plan] = await db
    .select({ id: plans.id })
    .from(plans)
    .where(sql`${plans.id} = ${input.plan} or ${plans.code} = ${input.plan}`);
  if (!plan) {
    throw new ApiError("invalid_request", msg("notifications.problems.no_such_plan"), {
      errors: [{ path: "plan", message: msg("notifications.validation.unknown_plan") }],
    });
  }
  return { plan_id: plan.id };
}

/**
 * Starts an admin's broadcast: counts its recipients, records it with its audit entry (one
 * batch) and queues its first page. Nothing is written per recipient here: the queue does it.
 */
export async function startBroadcast(
  ctx: ServiceContext,
  actorId: string,
  input: BroadcastInput,
): Promise<{ id: string; recipients: number }> {
  const { db, now } = ctx;
  const audience = await resolveAudience(db, input);
  const [total] = await db
    .select({ n: count() })
    .from(users)
    .where(await audienceWhere(db, audience));
  const recipients = total?.n ?? 0;
  const id = newId("brd");
  const channels = [...new Set(input.channels)];
  await db.batch([
    db.insert(notificationBroadcasts).values({
      id,
      actorId,
      audience,
      title: input.title,
      body: input.body,
      channels,
      recipients,
      status: recipients === 0 ? "done" : "sending",
      createdAt: now,
      updatedAt: now,
    }),
    auditInsert(
      db,
      {
        actorId,
        action: "notification.broadcast",
        targetType: "notification_broadcast",
        targetId: id,
        data: { audience, channels, recipients, title: input.title },
      },
      now,
    ),
  ]);
  if (recipients > 0) await queueBroadcast(ctx, id);
  return { id, recipients };
}

/** Hands a broadcast's next page to the queue; a failed send is resumed by the sweep. */
export async function queueBroadcast(ctx: ServiceContext, broadcastId: string): Promise<void> {
  try {
    await ctx.env.NOTIFICATION_BROADCASTS.send({ broadcast_id: broadcastId });
  } catch (error) {
    console.error(
      JSON.stringify({ msg: "broadcast not queued", broadcastId, error: String(error) }),
    );
  }
}

/**
 * Notifies the next page of a broadcast's recipients (by user id, after its cursor) in one
 * batch, each with the dedupe key `broadcast:<id>`, so a duplicate message or a retried page
 * notifies no one twice. The cursor moves only from where this run found it: of two runs of
 * the same page, one queues the next page. Answers whether the broadcast is finished.
 */
export async function sendBroadcastPage(
  ctx: ServiceContext,
  broadcastId: string,
): Promise<boolean> {
  const { db, now } = ctx;
  const [broadcast] = await db
    .select()
    .from(notificationBroadcasts)
    .where(eq(notificationBroadcasts.id, broadcastId));
  if (!broadcast || broadcast.status === "done") return true;
  const page = await withStreams(db)
    .where(
      and(
        await audienceWhere(db, broadcast.audience),
        broadcast.cursor ? gt(users.id, broadcast.cursor) : undefined,
      ),
    )
    .orderBy(asc(users.id))
    .limit(BROADCAST_PAGE);
  const prepared = page.map((user) =>
    prepareNotification(ctx, recipientOf(user), notice(broadcast)),
  );
  const last = page.at(-1)?.id ?? broadcast.cursor;
  const finished = page.length < BROADCAST_PAGE;
  const advance = db
    .update(notificationBroadcasts)
    .set({ cursor: last, status: finished ? "done" : "sending", updatedAt: now })
    .where(
      and(
        eq(notificationBroadcasts.id, broadcastId),
        broadcast.cursor
          ? eq(notificationBroadcasts.cursor, broadcast.cursor)
          : isNull(notificationBroadcasts.cursor),
      ),
    )
    .returning({ id: notificationBroadcasts.id });
  const { results, stored } = await commitNotifications(db, [advance], prepared);
  const [advanced] = results;
  if (stored.length > 0) {
    await db
      .update(notificationBroadcasts)
      .set({ notified: sql`${notificationBroadcasts.notified} + ${stored.length}` })
      .where(eq(notificationBroadcasts.id, broadcastId));
  }
  await afterNotificationsCommit(ctx, stored);
  if (wasStored(advanced) && !finished) await queueBroadcast(ctx, broadcastId);
  return finished;
}

const notice = (broadcast: NotificationBroadcast) => ({
  type: "broadcast" as const,
  title: broadcast.title,
  body: broadcast.body,
  channels: broadcast.channels,
  dedupeKey: `broadcast:${broadcast.id}`,
  data: { broadcast_id: broadcast.id },
});
