import { z } from "@hono/zod-openapi";
import { MANDATORY_NOTIFICATION_TYPES, type NotificationType } from "./schema/notifications";

const optIn = (description: string) => z.boolean().default(true).openapi({ description });

const typeOptIn = z.boolean().default(true);
// A catalog key: the 400 names the field in the request's language.
const alwaysOn = z.literal(true, { error: "notifications.validation.always_on" }).default(true);

// Per type: whether the user wants notifications of that type at all (on any channel). The
// account's own notices (MANDATORY_NOTIFICATION_TYPES) cannot be turned off.
const NotificationTypesSchema = z
  .strictObject({
    system: alwaysOn,
    billing: alwaysOn,
    renewal: typeOptIn,
    expiry: typeOptIn,
    usage: typeOptIn,
    reminder: typeOptIn,
    event: typeOptIn,
    broadcast: typeOptIn,
  } satisfies Record<NotificationType, z.ZodType>)
  .prefault({})
  .openapi("NotificationTypePreferences", {
    description: `Which kinds of notification you get, on any channel. ${MANDATORY_NOTIFICATION_TYPES.join(" and ")} cannot be turned off.`,
  });

// Typed preferences. Every key has a default, so a user has complete settings from signup on,
// and a PUT that omits a key resets it to its default (PUT replaces the whole document).
export const UserSettingsSchema = z
  .strictObject({
    theme: z.enum(["light", "dark", "system"]).default("system"),
    items_per_page: z.number().int().min(5).max(200).default(25),
    auto_refresh_seconds: z
      .number()
      .int()
      .min(0)
      .max(3600)
      .default(0)
      .openapi({ description: "0 turns auto-refresh off" }),
    in_app_notifications: optIn(
      "Notifications in the app (the list and the live stream); system and billing ones are always kept",
    ),
    email_notifications: optIn("Notifications by email (account emails such as resets always go)"),
    sms_notifications: optIn("Notifications by SMS, to the phone number on the profile"),
    push_notifications: optIn("Push notifications, to the registered devices"),
    notification_types: NotificationTypesSchema,
    analytics_sharing: z.boolean().default(false),
  })
  .openapi("UserSettings");

export type UserSettings = z.infer<typeof UserSettingsSchema>;

export const defaultSettings = (): UserSettings => UserSettingsSchema.parse({});
