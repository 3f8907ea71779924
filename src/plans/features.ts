import { z } from "zod";

/** A plan's feature set: on/off flags and numeric caps. Billing extends it with metered quotas. */
export const PlanFeaturesSchema = z
  .object({
    max_api_keys: z.number().int().min(0).optional(),
  })
  .catchall(z.union([z.boolean(), z.number()]));

export type PlanFeatures = z.infer<typeof PlanFeaturesSchema>;

/** Used when a plan does not say: enough to try the API, not to run a fleet. */
export const DEFAULT_MAX_API_KEYS = 2;
