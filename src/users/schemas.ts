import { z } from "@hono/zod-openapi";
import { NameSchema, PasswordSchema, UserSchema } from "../auth/schemas";
import {
  DEVICE_PLATFORMS,
  EMAIL_STATUSES,
  INTERVALS,
  PAYMENT_STATUSES,
  PROVIDERS,
  USER_STATUSES,
} from "../db/schema";
import { ExportedEvents, ExportedReminders } from "../events/account";
import { LOCALES } from "../i18n";
import { TimeZoneSchema } from "../lib/zones";
import { ExportedNotifications } from "../notifications/export";
import { SubscriptionSchema } from "../subscriptions/schemas";

export const LocaleSchema = z.enum(LOCALES).openapi({
  description: "The language of answers and messages when a request names none in Accept-Language",
  example: "es",
});

// E.164: a plus, the country code and the number, digits only, at most 15 of them.
export const PhoneSchema = z
  .string()
  .regex(/^\+[1-9]\d{6,14}$/, "must be a phone number in E.164 form, such as +14155550123")
  .openapi({ example: "+14155550123", description: "Where SMS notifications go (E.164)" });

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
  locale: LocaleSchema.nullable(),
  timezone: z.string().nullable(),
  phone: z.string().nullable(),
  plan: PlanSummarySchema.nullable(),
  subscription: SubscriptionSchema.nullable(),
}).openapi("Me");

export const PatchMeBody = z
  .strictObject({
    name: NameSchema.nullable().optional(),
    locale: LocaleSchema.nullable().optional(),
    timezone: TimeZoneSchema.nullable().optional(),
    phone: PhoneSchema.nullable().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, {
    message: "validation.at_least_one_of",
    params: { fields: "name, locale, timezone, phone" },
  })
  .openapi("UpdateProfileRequest");

export const ChangePasswordBody = z
  .strictObject({ current_password: z.string().min(1).max(128), new_password: PasswordSchema })
  .openapi("ChangePasswordRequest");

export const DeleteMeBody = z
  .strictObject({ password: z.string().min(1).max(128) })
  .openapi("DeleteAccountRequest");

// ---- GET /v1/me/export -------------------------------------------------------------------------

const At = z.iso.datetime();
const AtOrNull = z.iso.datetime().nullable();

const ExportedSubscription = z.object({
  id: z.string(),
  plan: z.object({ id: z.string(), code: z.string().nullable(), name: z.string().nullable() }),
  interval: z.enum(INTERVALS),
  status: SubscriptionSchema.shape.status,
  standing: SubscriptionSchema.shape.standing,
  provider: SubscriptionSchema.shape.provider,
  provider_subscription_id: z.string().nullable(),
  provider_customer_id: z.string().nullable(),
  cancel_at_period_end: z.boolean(),
  cancel_reason: z.string().nullable(),
  current_period_start: AtOrNull,
  current_period_end: AtOrNull,
  trial_end: AtOrNull,
  canceled_at: AtOrNull,
  ended_at: AtOrNull,
  scheduled_plan_id: z.string().nullable(),
  coupon_id: z.string().nullable(),
  created_at: At,
  updated_at: At,
});

const ExportedPayment = z.object({
  id: z.string(),
  subscription_id: z.string().nullable(),
  provider: z.enum(PROVIDERS),
  provider_payment_id: z.string(),
  provider_invoice_id: z.string().nullable(),
  amount: z.number().int().openapi({ description: "Minor units of `currency`" }),
  amount_refunded: z.number().int(),
  currency: z.string(),
  status: z.enum(PAYMENT_STATUSES),
  period_start: AtOrNull,
  period_end: AtOrNull,
  receipt_url: z.string().nullable(),
  failure_reason: z.string().nullable(),
  created_at: At,
});

const UsageRow = z.object({
  start: At.openapi({ description: "Start of the UTC hour or day" }),
  allowed: z.number().int(),
  denied: z.number().int(),
});

export const ExportSchema = z
  .object({
    exported_at: At,
    user: UserSchema.extend({
      locale: z.string().nullable(),
      timezone: z.string().nullable(),
      phone: z.string().nullable(),
      status: z.enum(USER_STATUSES),
      email_verified_at: AtOrNull,
      updated_at: At,
    }).openapi({ description: "The profile" }),
    settings: z.record(z.string(), z.unknown()).openapi({ description: "The preferences" }),
    subscriptions: z
      .array(ExportedSubscription)
      .openapi({ description: "Every subscription, ended ones included, newest first" }),
    payments: z
      .array(ExportedPayment)
      .openapi({ description: "Every charge, failed and refunded ones included, newest first" }),
    api_keys: z
      .array(
        z.object({
          id: z.string(),
          name: z.string(),
          prefix: z.string().openapi({ description: "The key's first characters" }),
          created_at: At,
          expires_at: AtOrNull,
          last_used_at: AtOrNull,
          revoked_at: AtOrNull,
        }),
      )
      .openapi({ description: "API keys, metadata only: never a key or its hash" }),
    devices: z
      .array(
        z.object({
          id: z.string(),
          platform: z.enum(DEVICE_PLATFORMS),
          token: z.string(),
          created_at: At,
          last_seen_at: At,
        }),
      )
      .openapi({ description: "Devices registered for push notifications" }),
    usage: z
      .object({ hourly: z.array(UsageRow), daily: z.array(UsageRow) })
      .openapi({ description: "Requests allowed and denied per hour and per day, as stored" }),
    coupon_redemptions: z
      .array(
        z.object({
          id: z.string(),
          coupon_id: z.string(),
          code: z.string().nullable(),
          subscription_id: z.string().nullable(),
          created_at: At,
        }),
      )
      .openapi({ description: "Coupons redeemed" }),
    sessions: z
      .array(
        z.object({
          id: z.string(),
          created_at: At,
          last_used_at: At,
          expires_at: AtOrNull.openapi({
            description: "When its latest refresh token expires",
          }),
          revoked_at: AtOrNull,
          revoked_reason: z.string().nullable(),
          user_agent: z.string().nullable(),
          ip: z.string().nullable(),
        }),
      )
      .openapi({ description: "Logins, metadata only: never a token or its hash" }),
    emails: z
      .array(
        z.object({
          id: z.string(),
          to: z.string(),
          template: z.string(),
          subject: z.string(),
          status: z.enum(EMAIL_STATUSES),
          created_at: At,
          sent_at: AtOrNull,
        }),
      )
      .openapi({
        description: "Emails sent to the user, without their bodies (they carry sign-in links)",
      }),
    audit: z
      .array(
        z.object({
          id: z.string(),
          action: z.string(),
          data: z.record(z.string(), z.unknown()),
          created_at: At,
        }),
      )
      .openapi({ description: "What administrators did to the account" }),
    notifications: ExportedNotifications,
    events: ExportedEvents,
    reminders: ExportedReminders,
  })
  .openapi("UserExport", {
    description:
      "Everything tollgate stores about the user (GDPR art. 15 and 20). Secrets are never exported: no password, API key or token hash, no email body.",
  });

export type UserExport = z.infer<typeof ExportSchema>;
