// Users: the account, its role and status, its typed settings.
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { LOCALES } from "../../i18n";
import type { UserSettings } from "../user-settings";

export const ROLES = ["user", "admin"] as const;
export const USER_STATUSES = ["active", "disabled", "deleted"] as const;

export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(),
    // Stored lower-cased so uniqueness and look-ups are case-insensitive.
    email: text("email").notNull(),
    name: text("name"),
    role: text("role", { enum: ROLES }).notNull().default("user"),
    status: text("status", { enum: USER_STATUSES }).notNull().default("active"),
    passwordHash: text("password_hash").notNull(),
    emailVerifiedAt: integer("email_verified_at"),
    // The language of what the user receives; one of LOCALES (null: not chosen).
    locale: text("locale", { enum: LOCALES }),
    timezone: text("timezone"),
    // E.164 (+14155550123): where SMS notifications go; none without it.
    phone: text("phone"),
    settings: text("settings", { mode: "json" }).$type<UserSettings>().notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    deletedAt: integer("deleted_at"),
  },
  (t) => [
    uniqueIndex("users_email_unique").on(t.email),
    index("users_created_idx").on(t.createdAt, t.id),
  ],
);

export type User = typeof users.$inferSelect;
