// A plan's ids at Stripe and PayPal. Provider events name a price or plan by these ids and are
// mapped back to our plan through them, so one id may name one plan only.
import type { z } from "@hono/zod-openapi";
import { and, inArray, ne, or } from "drizzle-orm";
import type { Db } from "../db";
import { type Plan, plans } from "../db/schema";
import { msg } from "../i18n";
import { ApiError, type FieldError } from "../lib/errors";
import type { ProviderIdsInput } from "./admin-schemas";

/** The API's provider_ids fields and the plan columns that store them. */
export const PROVIDER_COLUMNS = {
  stripe_price_month: "stripePriceMonth",
  stripe_price_year: "stripePriceYear",
  paypal_plan_month: "paypalPlanMonth",
  paypal_plan_year: "paypalPlanYear",
} as const;

export type ProviderIdsPatch = z.infer<typeof ProviderIdsInput>;

/**
 * The fields whose id is given twice in `ids`, or is already another plan's (any of its four
 * columns); `exceptPlanId` is the plan being changed, whose own ids are no clash.
 */
export async function providerIdConflicts(
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
    if (other)
      errors.push({
        path: `provider_ids.${field}`,
        message: msg("validation.same_id_as", { field: other }),
      });
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
      errors.push({
        path: `provider_ids.${field}`,
        message: msg("validation.used_by_plan", { plan: owner.code }),
      });
  }
  return errors;
}

/** Refuses (409, every clashing field listed) ids that `providerIdConflicts` finds. */
export async function assertProviderIdsFree(
  db: Db,
  ids: ProviderIdsPatch | undefined,
  exceptPlanId: string | null,
): Promise<void> {
  const conflicts = await providerIdConflicts(db, ids, exceptPlanId);
  if (conflicts.length > 0) {
    throw new ApiError("conflict", msg("problems.conflict.provider_id_taken"), {
      errors: conflicts,
    });
  }
}

/** The plan columns a provider_ids input sets: a field left out is left as it is, null clears. */
export function providerColumns(ids: ProviderIdsPatch | undefined): Partial<Plan> {
  const out: Partial<Plan> = {};
  if (!ids) return out;
  for (const [field, column] of Object.entries(PROVIDER_COLUMNS)) {
    const value = ids[field as keyof ProviderIdsPatch];
    if (value !== undefined) out[column] = value;
  }
  return out;
}
