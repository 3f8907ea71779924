import { z } from "@hono/zod-openapi";

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
    email_notifications: z.boolean().default(true),
    analytics_sharing: z.boolean().default(false),
  })
  .openapi("UserSettings");

export type UserSettings = z.infer<typeof UserSettingsSchema>;

export const defaultSettings = (): UserSettings => UserSettingsSchema.parse({});
