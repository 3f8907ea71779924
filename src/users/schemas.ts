import { z } from "@hono/zod-openapi";
import { NameSchema, PasswordSchema, UserSchema } from "../auth/schemas";
import { SubscriptionSchema } from "../subscriptions/schemas";

function isLocale(value: string): boolean {
  try {
    return Intl.getCanonicalLocales(value).length === 1;
  } catch {
    return false;
  }
}

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

export const LocaleSchema = z
  .string()
  .max(35)
  .refine(isLocale, "must be a BCP 47 language tag such as en-GB")
  .openapi({ example: "en-GB" });

export const TimeZoneSchema = z
  .string()
  .max(64)
  .refine(isTimeZone, "must be an IANA time zone such as Europe/Paris")
  .openapi({ example: "Europe/Paris" });

export const PlanSummarySchema = z
  .object({
    id: z.string(),
    code: z.string(),
    name: z.string(),
    limits: z.object({
      minute: z.number().int().nullable(),
      hour: z.number().int().nullable(),
      day: z.number().int().nullable(),
      month: z.number().int().nullable(),
    }),
  })
  .openapi("PlanSummary");

export const MeSchema = UserSchema.extend({
  locale: z.string().nullable(),
  timezone: z.string().nullable(),
  plan: PlanSummarySchema.nullable(),
  subscription: SubscriptionSchema.nullable(),
}).openapi("Me");

export const PatchMeBody = z
  .strictObject({
    name: NameSchema.nullable().optional(),
    locale: LocaleSchema.nullable().optional(),
    timezone: TimeZoneSchema.nullable().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, "send at least one of name, locale, timezone")
  .openapi("UpdateProfileRequest");

export const ChangePasswordBody = z
  .strictObject({ current_password: z.string().min(1).max(128), new_password: PasswordSchema })
  .openapi("ChangePasswordRequest");

export const DeleteMeBody = z
  .strictObject({ password: z.string().min(1).max(128) })
  .openapi("DeleteAccountRequest");

export const ExportSchema = z.record(z.string(), z.unknown()).openapi("UserExport");
