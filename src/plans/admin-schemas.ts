import { z } from "@hono/zod-openapi";
import { PlanFeaturesSchema } from "../db/plan-features";
import { PLAN_STATUSES } from "../db/schema";
import { PlanSchema } from "./routes";

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
  status: z.enum(PLAN_STATUSES),
  sort_order: z.number().int(),
  provider_ids: ProviderIdsSchema,
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
}).openapi("AdminPlan");

export const AdminPlanListSchema = z
  .object({ data: z.array(AdminPlanSchema) })
  .openapi("AdminPlanList");

export const PlanIdParam = z.object({
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
export const ProviderIdsInput = z.strictObject({
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
    .regex(/^[A-Za-z]{3}$/, "validation.currency_code")
    .toLowerCase()
    .openapi({ example: "usd" }),
  trial_days: z.number().int().min(0).max(365),
  features: PlanFeaturesSchema,
  status: z.enum(PLAN_STATUSES),
  sort_order: z.number().int().min(-1_000_000).max(1_000_000),
};

export const CreatePlanBody = z
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

export const PatchPlanBody = z
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
  .refine((b) => Object.keys(b).length > 0, "validation.at_least_one_field")
  .openapi("UpdatePlanRequest");

export type CreatePlanInput = z.infer<typeof CreatePlanBody>;
export type PatchPlanInput = z.infer<typeof PatchPlanBody>;
