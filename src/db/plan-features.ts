import { z } from "zod";

/** The windows every limit and quota is counted in (UTC-aligned; the month follows billing). */
export const WINDOW_NAMES = ["minute", "hour", "day", "month"] as const;
export type WindowName = (typeof WINDOW_NAMES)[number];

const WindowSchema = z.enum(WINDOW_NAMES);

/** A metered quota: so many uses per window, counted exactly by the user's RateLimiter. */
export const QuotaSchema = z.object({ limit: z.number().int().min(0), window: WindowSchema });
export type Quota = z.infer<typeof QuotaSchema>;

/**
 * A plan's features: on/off flags (`webhooks: true`), numeric caps (`max_api_keys: 5`) and
 * metered quotas (`exports: {limit: 100, window: "month"}`).
 */
export const PlanFeaturesSchema = z.record(
  z.string().regex(/^[a-z][a-z0-9_]{0,39}$/),
  z.union([z.boolean(), z.number().int().min(0), QuotaSchema]),
);

export type PlanFeatures = z.infer<typeof PlanFeaturesSchema>;
export type FeatureValue = PlanFeatures[string];

/** Used when a plan does not say: enough to try the API, not to run a fleet. */
export const DEFAULT_MAX_API_KEYS = 2;

export function isQuota(value: FeatureValue | undefined): value is Quota {
  return typeof value === "object" && value !== null;
}

/** Whether a plan grants a feature: a true flag, a positive cap or a quota with room. */
export function grants(value: FeatureValue | undefined): boolean {
  if (value === undefined || value === false) return false;
  if (typeof value === "number") return value > 0;
  if (isQuota(value)) return value.limit > 0;
  return true;
}
