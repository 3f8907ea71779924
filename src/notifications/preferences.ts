import {
  type Channel,
  MANDATORY_NOTIFICATION_TYPES,
  type NotificationType,
} from "../db/schema/notifications";
import { defaultSettings, type UserSettings, UserSettingsSchema } from "../db/user-settings";

/** The channels a notification goes to when its caller names none. */
export const DEFAULT_CHANNELS: readonly Channel[] = ["in_app", "email"];

const mandatory = new Set<NotificationType>(MANDATORY_NOTIFICATION_TYPES);

/** A stored settings document with every key (rows written before a key existed get defaults). */
export function settingsOf(stored: unknown): UserSettings {
  const parsed = UserSettingsSchema.safeParse(stored);
  return parsed.success ? parsed.data : defaultSettings();
}

function channelOn(settings: UserSettings, channel: Channel): boolean {
  switch (channel) {
    case "in_app":
      return settings.in_app_notifications;
    case "email":
      return settings.email_notifications;
    case "sms":
      return settings.sms_notifications;
    case "push":
      return settings.push_notifications;
  }
}

/**
 * The requested channels the user wants for a notification of this type: none when the type is
 * turned off, otherwise those whose channel is on. System and billing notices cannot be turned
 * off and always reach the in-app list when it is asked for (the record of what the account was
 * told), whatever the in-app switch says; their other channels follow the switches.
 */
export function wantedChannels(
  settings: UserSettings,
  type: NotificationType,
  requested: readonly Channel[] = DEFAULT_CHANNELS,
): Channel[] {
  const always = mandatory.has(type);
  if (!always && !settings.notification_types[type]) return [];
  return [...new Set(requested)].filter(
    (channel) => channelOn(settings, channel) || (always && channel === "in_app"),
  );
}
