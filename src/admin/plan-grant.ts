// An administrator puts a user on a plan at no charge (a "comp"): a `manual` subscription, whose
// periods the renewals job rolls forward like any other. Every change is audit-logged and in
// force on the user's next request.
import { eq } from "drizzle-orm";
import { auditInsert } from "../audit/audit";
import { runBatch, type Statement } from "../db";
import { type Interval, type Subscription, subscriptions } from "../db/schema";
import type { ServiceContext } from "../lib/context";
import { ApiError, notFound } from "../lib/errors";
import { newId } from "../lib/ids";
import { addMonthsOnDay } from "../lib/windows";
import { currentSubscription, planById, RUNNING_STATUSES } from "../policy/current";
import { FREE_PLAN_CODE } from "../policy/policy";
import { syncPoliciesAfterCommit } from "../ratelimit/client";
import { endedNow } from "../subscriptions/account-closure";
import { supersedeCheckouts } from "../subscriptions/checkout";
import { subscriptionView } from "../subscriptions/view";
import { getUser } from "./users";

export interface GrantInput {
  plan_id: string;
  interval: Interval;
}

const running = (s: Subscription | null): s is Subscription =>
  s !== null && (RUNNING_STATUSES as readonly string[]).includes(s.status);

/**
 * Puts the user on `plan_id`: a manual subscription already running changes plan (and interval)
 * now; otherwise a new one starts now, for one interval, renewed by the renewals job. The free
 * plan ends a manual subscription now. A user paying through Stripe or PayPal is refused (409):
 * that subscription is changed or canceled by its owner, so nobody is billed for a plan an
 * administrator replaced. Answers the user's current subscription afterwards (null: free).
 */
export async function grantPlan(
  ctx: ServiceContext,
  actorId: string,
  userId: string,
  input: GrantInput,
) {
  const { db, now } = ctx;
  const user = await getUser(db, userId);
  if (user.status === "deleted")
    throw new ApiError("forbidden", "Deleted accounts cannot be changed");
  const plan = await planById(db, input.plan_id);
  if (!plan) throw notFound("Plan");
  if (plan.status !== "active") {
    throw new ApiError("plan_not_available", `${plan.name} is archived`);
  }
  const current = await currentSubscription(db, userId);
  if (running(current) && current.provider !== "manual") {
    throw new ApiError(
      "conflict",
      `The user pays through ${current.provider}: they change or cancel that subscription first`,
    );
  }
  const manual = running(current) ? current : null;
  const toFree = plan.code === FREE_PLAN_CODE;
  const statements: Statement[] = [];
  let subscriptionId: string | null = manual?.id ?? null;
  if (toFree) {
    if (manual) {
      statements.push(
        db
          .update(subscriptions)
          .set(endedNow(manual, now, "admin_grant"))
          .where(eq(subscriptions.id, manual.id)),
      );
    }
    subscriptionId = null;
  } else if (manual) {
    statements.push(
      db
        .update(subscriptions)
        .set({
          planId: plan.id,
          interval: input.interval,
          scheduledPlanId: null,
          scheduledInterval: null,
          updatedAt: now,
        })
        .where(eq(subscriptions.id, manual.id)),
    );
  } else {
    subscriptionId = newId("sub");
    const day = new Date(now).getUTCDate();
    statements.push(
      supersedeCheckouts(db, userId, now),
      db.insert(subscriptions).values({
        id: subscriptionId,
        userId,
        planId: plan.id,
        interval: input.interval,
        status: "active",
        provider: "manual",
        currentPeriodStart: now,
        currentPeriodEnd: addMonthsOnDay(now, input.interval === "year" ? 12 : 1, day),
        billingAnchorDay: day,
        createdAt: now,
        updatedAt: now,
      }),
    );
  }
  if (statements.length === 0) return null;
  statements.push(
    auditInsert(
      db,
      {
        actorId,
        action: "subscription.grant",
        targetType: "user",
        targetId: userId,
        data: {
          before: manual ? { plan_id: manual.planId, interval: manual.interval } : null,
          after: toFree ? null : { plan_id: plan.id, interval: input.interval },
          subscription_id: manual?.id ?? subscriptionId,
        },
      },
      now,
    ),
  );
  await runBatch(db, statements);
  // Committed: a failed push is logged and healed by the hourly reconcile.
  await syncPoliciesAfterCommit(ctx, [userId]);
  if (!subscriptionId) return null;
  const row = await db.query.subscriptions.findFirst({
    where: eq(subscriptions.id, subscriptionId),
  });
  return row ? subscriptionView(row, plan) : null;
}
