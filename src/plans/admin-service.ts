import { and, asc, eq, inArray, or } from "drizzle-orm";
import { auditInsert } from "../audit/audit";
import { type Db, isUniqueViolation } from "../db";
import type { PlanFeatures } from "../db/plan-features";
import { type Plan, plans, subscriptions } from "../db/schema";
import { msg } from "../i18n";
import type { ServiceContext } from "../lib/context";
import { ApiError, notFound } from "../lib/errors";
import { newId } from "../lib/ids";
import { iso } from "../lib/time";
import { ENTITLED_STATUSES } from "../policy/current";
import type { CreatePlanInput, PatchPlanInput } from "./admin-schemas";
import { assertProviderIdsFree, providerColumns } from "./provider-ids";
import { planView } from "./routes";

const FREE_PLAN_CODE = "free";

export function adminPlanView(plan: Plan) {
  return {
    ...planView(plan),
    status: plan.status,
    sort_order: plan.sortOrder,
    provider_ids: {
      stripe_price_month: plan.stripePriceMonth,
      stripe_price_year: plan.stripePriceYear,
      paypal_plan_month: plan.paypalPlanMonth,
      paypal_plan_year: plan.paypalPlanYear,
    },
    created_at: iso(plan.createdAt),
    updated_at: iso(plan.updatedAt),
  };
}

export async function listAllPlans(db: Db): Promise<Plan[]> {
  return db
    .select()
    .from(plans)
    .orderBy(asc(plans.sortOrder), asc(plans.priceMonth), asc(plans.id));
}

export async function getPlan(db: Db, id: string): Promise<Plan> {
  const plan = await db.query.plans.findFirst({ where: eq(plans.id, id) });
  if (!plan) throw notFound("Plan");
  return plan;
}

/** The users whose limits and features come from this plan now (their subscription entitles them). */
export async function subscribersOfPlan(db: Db, planId: string): Promise<string[]> {
  const rows = await db
    .selectDistinct({ userId: subscriptions.userId })
    .from(subscriptions)
    .where(
      and(eq(subscriptions.planId, planId), inArray(subscriptions.status, [...ENTITLED_STATUSES])),
    );
  return rows.map((r) => r.userId);
}

/** Whether any subscription, live or ended, refers to the plan (it then can only be archived). */
export async function planHasSubscriptions(db: Db, planId: string): Promise<boolean> {
  const row = await db
    .select({ id: subscriptions.id })
    .from(subscriptions)
    .where(or(eq(subscriptions.planId, planId), eq(subscriptions.scheduledPlanId, planId)))
    .limit(1)
    .get();
  return row !== undefined;
}

export async function createPlan(
  { db, now }: ServiceContext,
  actorId: string,
  input: CreatePlanInput,
): Promise<Plan> {
  await assertProviderIdsFree(db, input.provider_ids, null);
  const id = newId("pln");
  const row = {
    id,
    code: input.code,
    name: input.name,
    description: input.description ?? null,
    priceMonth: input.prices?.month ?? 0,
    priceYear: input.prices?.year ?? 0,
    currency: input.currency ?? "usd",
    trialDays: input.trial_days ?? 0,
    limitMinute: input.limits.minute,
    limitHour: input.limits.hour,
    limitDay: input.limits.day,
    limitMonth: input.limits.month,
    features: (input.features ?? {}) as PlanFeatures,
    status: input.status ?? ("active" as const),
    sortOrder: input.sort_order ?? 0,
    ...providerColumns(input.provider_ids),
    createdAt: now,
    updatedAt: now,
  };
  try {
    const [inserted] = await db.batch([
      db.insert(plans).values(row).returning(),
      auditInsert(
        db,
        {
          actorId,
          action: "plan.create",
          targetType: "plan",
          targetId: id,
          data: { code: input.code },
        },
        now,
      ),
    ]);
    const plan = inserted[0];
    if (!plan) throw new Error("plan insert returned no row");
    return plan;
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new ApiError(
        "conflict",
        msg("problems.conflict.plan_code_taken", { code: input.code }),
        {
          errors: [{ path: "code", message: msg("validation.already_taken") }],
        },
      );
    }
    throw error;
  }
}

export async function updatePlan(
  { db, now }: ServiceContext,
  actorId: string,
  id: string,
  patch: PatchPlanInput,
): Promise<{ plan: Plan; entitlementsChanged: boolean }> {
  const before = await getPlan(db, id);
  if (before.code === FREE_PLAN_CODE && patch.status === "archived") {
    throw new ApiError("conflict", msg("problems.conflict.free_plan_archive"));
  }
  await assertProviderIdsFree(db, patch.provider_ids, id);
  const changes: Partial<Plan> = {
    ...(patch.name === undefined ? {} : { name: patch.name }),
    ...(patch.description === undefined ? {} : { description: patch.description }),
    ...(patch.prices?.month === undefined ? {} : { priceMonth: patch.prices.month }),
    ...(patch.prices?.year === undefined ? {} : { priceYear: patch.prices.year }),
    ...(patch.currency === undefined ? {} : { currency: patch.currency }),
    ...(patch.trial_days === undefined ? {} : { trialDays: patch.trial_days }),
    ...(patch.limits?.minute === undefined ? {} : { limitMinute: patch.limits.minute }),
    ...(patch.limits?.hour === undefined ? {} : { limitHour: patch.limits.hour }),
    ...(patch.limits?.day === undefined ? {} : { limitDay: patch.limits.day }),
    ...(patch.limits?.month === undefined ? {} : { limitMonth: patch.limits.month }),
    ...(patch.features === undefined ? {} : { features: patch.features as PlanFeatures }),
    ...(patch.status === undefined ? {} : { status: patch.status }),
    ...(patch.sort_order === undefined ? {} : { sortOrder: patch.sort_order }),
    ...providerColumns(patch.provider_ids),
  };
  const after = { ...before, ...changes };
  const [updated] = await db.batch([
    db
      .update(plans)
      .set({ ...changes, updatedAt: now })
      .where(eq(plans.id, id))
      .returning(),
    auditInsert(
      db,
      {
        actorId,
        action: "plan.update",
        targetType: "plan",
        targetId: id,
        data: { before: changedFields(before, changes), after: changedFields(after, changes) },
      },
      now,
    ),
  ]);
  const plan = updated[0];
  if (!plan) throw notFound("Plan");
  const entitlementsChanged =
    JSON.stringify(adminPlanView(before).limits) !== JSON.stringify(adminPlanView(plan).limits) ||
    JSON.stringify(before.features) !== JSON.stringify(plan.features);
  return { plan, entitlementsChanged };
}

function changedFields(plan: Plan, changes: Partial<Plan>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(changes).map((k) => [k, plan[k as keyof Plan]]));
}

/**
 * Deletes a plan nobody ever subscribed to; one with subscriptions is archived instead (their
 * history keeps pointing at it). The free plan is neither. Returns the archived plan, or null.
 */
export async function deletePlan(
  { db, now }: ServiceContext,
  actorId: string,
  id: string,
): Promise<Plan | null> {
  const plan = await getPlan(db, id);
  if (plan.code === FREE_PLAN_CODE) {
    throw new ApiError("conflict", msg("problems.conflict.free_plan_fixed"));
  }
  if (await planHasSubscriptions(db, id)) {
    const [updated] = await db.batch([
      db
        .update(plans)
        .set({ status: "archived", updatedAt: now })
        .where(eq(plans.id, id))
        .returning(),
      auditInsert(
        db,
        {
          actorId,
          action: "plan.archive",
          targetType: "plan",
          targetId: id,
          data: { code: plan.code, status_before: plan.status },
        },
        now,
      ),
    ]);
    return updated[0] ?? { ...plan, status: "archived", updatedAt: now };
  }
  await db.batch([
    db.delete(plans).where(eq(plans.id, id)),
    auditInsert(
      db,
      {
        actorId,
        action: "plan.delete",
        targetType: "plan",
        targetId: id,
        data: { code: plan.code },
      },
      now,
    ),
  ]);
  return null;
}
