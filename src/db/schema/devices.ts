// Devices: where a user's push notifications go (one FCM registration token each).
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { users } from "./users";

export const DEVICE_PLATFORMS = ["ios", "android", "web"] as const;
export type DevicePlatform = (typeof DEVICE_PLATFORMS)[number];

export const devices = sqliteTable(
  "devices",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    platform: text("platform", { enum: DEVICE_PLATFORMS }).notNull(),
    token: text("token").notNull(),
    createdAt: integer("created_at").notNull(),
    // The last time the app registered it: the stalest device goes first past the limit.
    lastSeenAt: integer("last_seen_at").notNull(),
  },
  (t) => [
    uniqueIndex("devices_user_token_unique").on(t.userId, t.token),
    // A token registered by one account is taken from any other (devices.ts).
    index("devices_token_idx").on(t.token),
  ],
);

export type Device = typeof devices.$inferSelect;
