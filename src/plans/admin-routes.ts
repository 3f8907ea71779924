import { createRoute, z } from "@hono/zod-openapi";
import { and, asc, eq, inArray, ne, or } from "drizzle-orm";
import { auditInsert } from "../admin/audit";
import { requireAdmin, requireAuth } from "../auth/middleware";
import { type Db, isUniqueViolation } from "../db";
import { type Plan, plans, subscriptions } from "../db/schema";
import { newRouter, principalOf } from "../lib/context";
import { ApiError, type FieldError, notFound } from "../lib/errors";
import { newId } from "../lib/ids";
import { bearerSecurity, errorResponses, jsonBody, jsonContent } from "../lib/openapi";
import { afterResponse } from "../lib/request";
import { iso } from "../lib/time";
import { syncLimiters } from "../ratelimit/client";
import { ENTITLED_STATUSES } from "../subscriptions/current";
import { type PlanFeatures, PlanFeaturesSchema } from "./features";
import { PlanSchema, planView } from "./routes";

const tags = ["admin"];
const security = bearerSecurity;

const FREE_PLAN_CODE = "free";

// ---- schemas --------------------------------------------------------------------------------

const ProviderIdsSchema = z
  .object({
    stripe_price_month: z.string().nullable(),
    stripe_price_year: z.string().nullable(),
    paypal_plan_month: z.string().nullable(),
    paypal_plan_year: z.string().nullable(),
  })
  .openapi("PlanProviderIds");

export const AdminPlanSchema = PlanSchema.extend({
  status: z.enum(["active", "archived"]),
  sort_order: z.number().int(),
  provider_ids: ProviderIdsSchema,
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
}).openapi("AdminPlan");

const AdminPlanListSchema = z.object({ data: z.array(AdminPlanSchema) }).openapi("AdminPlanList");

const PlanIdParam = z.object({
  id: z
    .string()
    .regex(/^pln_[0-9a-z_]+$/)
    .openapi({ param: { name: "id", in: "path" } }),
});

const Amount = z.number().int().min(0).max(100_000_000);
const Limit = z.number().int().min(0).max(1_000_000_000).nullable();
const ProviderId = z.string().trim().min(1).max(200).nullable();

const PricesInput = z.strictObject({ month: Amount.optional(), year: Amount.optional() });
const LimitsInput = z.strictObject({
  minute: Limit.optional(),
  hour: Limit.optional(),
  day: Limit.optional(),
  month: Limit.optional(),
});
const ProviderIdsInput = z.strictObject({
  stripe_price_month: ProviderId.optional(),
  stripe_price_year: ProviderId.optional(),
  paypal_plan_month: ProviderId.optional(),
  paypal_plan_year: ProviderId.optional(),
});

const common = {
  name: z.string().trim().min(1).max(100),
  description: z.string().trim().max(500).nullable(),
  currency: z
    .string()
    .regex(/^[A-Za-z]{3}$/, "an ISO 4217 code")
    .toLowerCase()
    .openapi({ example: "usd" }),
  trial_days: z.number().int().min(0).max(365),
  features: PlanFeaturesSchema,
  status: z.enum(["active", "archived"]),
  sort_order: z.number().int().min(-1_000_000).max(1_000_000),
};

const CreatePlanBody = z
  .strictObject({
    code: z
      .string()
      .regex(/^[a-z0-9_-]{2,40}$/, "2 to 40 of a-z, 0-9, _ and -")
      .openapi({ example: "team" }),
    name: common.name,
    description: common.description.optional(),
    prices: PricesInput.optional().openapi({ description: "Minor units; omitted: 0 (free)" }),
    currency: common.currency.optional().openapi({ description: "Default usd" }),
    trial_days: common.trial_days.optional(),
    // Required: a plan created without limits would be unlimited by accident.
    limits: z
      .strictObject({ minute: Limit, hour: Limit, day: Limit, month: Limit })
      .openapi({ description: "Every window, null for unlimited" }),
    features: common.features.optional(),
    provider_ids: ProviderIdsInput.optional(),
    status: common.status.optional(),
    sort_order: common.sort_order.optional(),
  })
  .openapi("CreatePlanRequest");

const PatchPlanBody = z
  .strictObject({
    name: common.name.optional(),
    description: common.description.optional(),
    prices: PricesInput.optional(),
    currency: common.currency.optional(),
    trial_days: common.trial_days.optional(),
    limits: LimitsInput.optional(),
    features: common.features
      .optional()
      .openapi({ description: "Replaces the plan's features whole" }),
    provider_ids: ProviderIdsInput.optional(),
    status: common.status.optional(),
    sort_order: common.sort_order.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, "send at least one field")
  .openapi("UpdatePlanRequest");

type CreatePlanInput = z.infer<typeof CreatePlanBody>;
type PatchPlanInput = z.infer<typeof PatchPlanBody>;

// ---- service --------------------------------------------------------------------------------

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

const PROVIDER_COLUMNS = {
  stripe_price_month: "stripePriceMonth",
  stripe_price_year: "stripePriceYear",
  paypal_plan_month: "paypalPlanMonth",
  paypal_plan_year: "paypalPlanYear",
} as const;

type ProviderIdsPatch = z.infer<typeof ProviderIdsInput>;

/** Provider price/plan ids map events back to plans: one id may name one plan only. */
async function providerIdConflicts(
  db: Db,
  ids: ProviderIdsPatch | undefined,
  exceptPlanId: string | null,
): Promise<FieldError[]> {
  if (!ids) return [];
  const errors: FieldError[] = [];
  const given = Object.entries(ids).filter((e): e is [string, string] => typeof e[1] === "string");
  const seen = new Map<string, string>();
  for (const [field, value] of given) {
    const other = seen.get(value);
    if (other) errors.push({ path: `provider_ids.${field}`, message: `same id as ${other}` });
    seen.set(value, field);
  }
  if (given.length === 0) return errors;
  const values = given.map(([, v]) => v);
  const clashes = await db
    .select()
    .from(plans)
    .where(
      and(
        exceptPlanId ? ne(plans.id, exceptPlanId) : undefined,
        or(
          inArray(plans.stripePriceMonth, values),
          inArray(plans.stripePriceYear, values),
          inArray(plans.paypalPlanMonth, values),
          inArray(plans.paypalPlanYear, values),
        ),
      ),
    );
  for (const [field, value] of given) {
    const owner = clashes.find((p) =>
      Object.values(PROVIDER_COLUMNS).some((col) => p[col] === value),
    );
    if (owner)
      errors.push({ path: `provider_ids.${field}`, message: `already used by ${owner.code}` });
  }
  return errors;
}

function providerColumns(ids: ProviderIdsPatch | undefined): Partial<Plan> {
  const out: Partial<Plan> = {};
  if (!ids) return out;
  for (const [field, column] of Object.entries(PROVIDER_COLUMNS)) {
    const value = ids[field as keyof ProviderIdsPatch];
    if (value !== undefined) out[column] = value;
  }
  return out;
}

export async function createPlan(
  db: Db,
  actorId: string,
  input: CreatePlanInput,
  now: number,
): Promise<Plan> {
  const conflicts = await providerIdConflicts(db, input.provider_ids, null);
  if (conflicts.length > 0) {
    throw new ApiError("conflict", "A provider id is already used by another plan", {
      errors: conflicts,
    });
  }
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
      throw new ApiError("conflict", `A plan with the code ${input.code} already exists`, {
        errors: [{ path: "code", message: "already taken" }],
      });
    }
    throw error;
  }
}

export async function updatePlan(
  db: Db,
  actorId: string,
  id: string,
  patch: PatchPlanInput,
  now: number,
): Promise<{ plan: Plan; entitlementsChanged: boolean }> {
  const before = await getPlan(db, id);
  if (before.code === FREE_PLAN_CODE && patch.status === "archived") {
    throw new ApiError(
      "conflict",
      "The free plan cannot be archived: it is what everyone falls back to",
    );
  }
  const conflicts = await providerIdConflicts(db, patch.provider_ids, id);
  if (conflicts.length > 0) {
    throw new ApiError("conflict", "A provider id is already used by another plan", {
      errors: conflicts,
    });
  }
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
  db: Db,
  actorId: string,
  id: string,
  now: number,
): Promise<Plan | null> {
  const plan = await getPlan(db, id);
  if (plan.code === FREE_PLAN_CODE) {
    throw new ApiError("conflict", "The free plan cannot be deleted or archived");
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

// ---- routes ---------------------------------------------------------------------------------

export const adminPlanRoutes = newRouter();
adminPlanRoutes.use("*", requireAuth, requireAdmin);

adminPlanRoutes.openapi(
  createRoute({
    method: "get",
    path: "/",
    operationId: "admin.plans.list",
    tags,
    security,
    summary: "Every plan, archived ones too, in display order",
    responses: {
      200: jsonContent(AdminPlanListSchema, "The plans"),
      ...errorResponses(401, 403, 429),
    },
  }),
  async (c) => c.json({ data: (await listAllPlans(c.var.db)).map(adminPlanView) }, 200),
);

adminPlanRoutes.openapi(
  createRoute({
    method: "post",
    path: "/",
    operationId: "admin.plans.create",
    tags,
    security,
    summary: "Create a plan",
    request: { body: jsonBody(CreatePlanBody) },
    responses: {
      201: jsonContent(AdminPlanSchema, "The plan"),
      ...errorResponses(400, 401, 403, 409, 413, 415, 429),
    },
  }),
  async (c) => {
    const plan = await createPlan(c.var.db, principalOf(c).userId, c.req.valid("json"), c.var.now);
    return c.json(adminPlanView(plan), 201);
  },
);

adminPlanRoutes.openapi(
  createRoute({
    method: "get",
    path: "/{id}",
    operationId: "admin.plans.get",
    tags,
    security,
    summary: "One plan",
    request: { params: PlanIdParam },
    responses: {
      200: jsonContent(AdminPlanSchema, "The plan"),
      ...errorResponses(400, 401, 403, 404, 429),
    },
  }),
  async (c) => c.json(adminPlanView(await getPlan(c.var.db, c.req.valid("param").id)), 200),
);

adminPlanRoutes.openapi(
  createRoute({
    method: "patch",
    path: "/{id}",
    operationId: "admin.plans.update",
    tags,
    security,
    summary: "Change a plan; new limits and features reach its subscribers on their next request",
    request: { params: PlanIdParam, body: jsonBody(PatchPlanBody) },
    responses: {
      200: jsonContent(AdminPlanSchema, "The updated plan"),
      ...errorResponses(400, 401, 403, 404, 409, 413, 415, 429),
    },
  }),
  async (c) => {
    const { plan, entitlementsChanged } = await updatePlan(
      c.var.db,
      principalOf(c).userId,
      c.req.valid("param").id,
      c.req.valid("json"),
      c.var.now,
    );
    // After the commit: each subscriber's RateLimiter re-reads its policy from D1. (The free
    // plan's users are not enumerated; their objects pick it up at their hourly reconcile.)
    // Done after answering, and one user's failure never stops the others (the hourly reconcile
    // heals any it missed).
    if (entitlementsChanged) {
      const work = subscribersOfPlan(c.var.db, plan.id).then((userIds) =>
        syncLimiters(c.env, c.var.db, "plan-update", userIds, c.var.now),
      );
      afterResponse(c, "plan limiter sync", work);
    }
    return c.json(adminPlanView(plan), 200);
  },
);

adminPlanRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/{id}",
    operationId: "admin.plans.delete",
    tags,
    security,
    summary:
      "Delete a plan; one with subscriptions is archived instead (200). The free plan is kept (409)",
    request: { params: PlanIdParam },
    responses: {
      200: jsonContent(AdminPlanSchema, "The plan has subscriptions: it is now archived"),
      204: { description: "Deleted" },
      ...errorResponses(400, 401, 403, 404, 409, 429),
    },
  }),
  async (c) => {
    const plan = await deletePlan(
      c.var.db,
      principalOf(c).userId,
      c.req.valid("param").id,
      c.var.now,
    );
    return plan ? c.json(adminPlanView(plan), 200) : c.body(null, 204);
  },
);
