// Plans: limits, features and prices.
import { sql } from "drizzle-orm";
import { integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { PlanFeatures } from "../plan-features";

// Limits per fixed UTC window; null means unlimited. Prices and features come with billing.
export const PLAN_STATUSES = ["active", "archived"] as const;

export const plans = sqliteTable(
  "plans",
  {
    id: text("id").primaryKey(),
    code: text("code").notNull(),
    name: text("name").notNull(),
    limitMinute: integer("limit_minute"),
    limitHour: integer("limit_hour"),
    limitDay: integer("limit_day"),
    limitMonth: integer("limit_month"),
    description: text("description"),
    features: text("features", { mode: "json" }).$type<PlanFeatures>().notNull().default({}),
    // Prices in minor units of `currency`; 0 for free plans.
    priceMonth: integer("price_month").notNull().default(0),
    priceYear: integer("price_year").notNull().default(0),
    currency: text("currency").notNull().default("usd"),
    trialDays: integer("trial_days").notNull().default(0),
    stripePriceMonth: text("stripe_price_month"),
    stripePriceYear: text("stripe_price_year"),
    paypalPlanMonth: text("paypal_plan_month"),
    paypalPlanYear: text("paypal_plan_year"),
    status: text("status", { enum: PLAN_STATUSES }).notNull().default("active"),
    sortOrder: integer("sort_order").notNull().default(0),
    createdAt: integer("created_at").notNull().default(sql`(unixepoch() * 1000)`),
    updatedAt: integer("updated_at").notNull().default(sql`(unixepoch() * 1000)`),
  },
  (t) => [uniqueIndex("plans_code_unique").on(t.code)],
);

export type Plan = typeof plans.$inferSelect;
