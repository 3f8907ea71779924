// Billing state: subscriptions, the provider's customer for each user, coupons and their
// redemptions.
import {
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";
import { plans } from "./plans";
import { users } from "./users";

export const PROVIDERS = ["stripe", "paypal", "manual"] as const;
/** Providers that take money and send events (manual subscriptions have no provider). */
export const PAID_PROVIDERS = ["stripe", "paypal"] as const;
export type Provider = (typeof PROVIDERS)[number];
export const INTERVALS = ["month", "year"] as const;
export type Interval = (typeof INTERVALS)[number];
export const SUBSCRIPTION_STATUSES = [
  "incomplete",
  "trialing",
  "active",
  "past_due",
  "paused",
  "canceled",
  "expired",
] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];
export const STANDINGS = ["good", "past_due", "restricted", "suspended"] as const;
/** How a subscriber stands with billing; the rate limiter enforces it. */
export type Standing = (typeof STANDINGS)[number];

// The provider's customer for a user, created once and reused.
export const billingCustomers = sqliteTable(
  "billing_customers",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    provider: text("provider", { enum: PROVIDERS }).notNull(),
    customerId: text("customer_id").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.provider] }),
    uniqueIndex("billing_customers_provider_unique").on(t.provider, t.customerId),
  ],
);

export const subscriptions = sqliteTable(
  "subscriptions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    planId: text("plan_id")
      .notNull()
      .references(() => plans.id),
    interval: text("interval", { enum: INTERVALS }).notNull(),
    status: text("status", { enum: SUBSCRIPTION_STATUSES }).notNull(),
    // What the rate limiter enforces; dunning moves it, a recovered payment resets it.
    standing: text("standing", { enum: STANDINGS }).notNull().default("good"),
    provider: text("provider", { enum: PROVIDERS }).notNull(),
    providerSubscriptionId: text("provider_subscription_id"),
    providerCustomerId: text("provider_customer_id"),
    cancelAtPeriodEnd: integer("cancel_at_period_end", { mode: "boolean" })
      .notNull()
      .default(false),
    cancelReason: text("cancel_reason"),
    currentPeriodStart: integer("current_period_start"),
    currentPeriodEnd: integer("current_period_end"),
    trialEnd: integer("trial_end"),
    canceledAt: integer("canceled_at"),
    endedAt: integer("ended_at"),
    // A downgrade waits for the period end.
    scheduledPlanId: text("scheduled_plan_id").references(() => plans.id),
    scheduledInterval: text("scheduled_interval", { enum: INTERVALS }),
    // The Stripe subscription schedule that carries the scheduled change to its price: released
    // when the change is called off (or the subscription is changed or canceled otherwise).
    providerScheduleId: text("provider_schedule_id"),
    // The day of the month periods renew on (1-31). A period clamped to a shorter month
    // (Jan 31 -> Feb 28) goes back to it the month after (-> Mar 31). Null: the day the current
    // period started on.
    billingAnchorDay: integer("billing_anchor_day"),
    couponId: text("coupon_id"),
    pastDueSince: integer("past_due_since"),
    // The provider's timestamp of the state last applied: an older event never overwrites it.
    providerStateAt: integer("provider_state_at").notNull().default(0),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    index("subscriptions_user_idx").on(t.userId, t.createdAt),
    uniqueIndex("subscriptions_provider_unique").on(t.provider, t.providerSubscriptionId),
    index("subscriptions_status_idx").on(t.status, t.currentPeriodEnd),
    index("subscriptions_standing_idx").on(t.standing, t.status),
  ],
);

export const COUPON_DURATIONS = ["once", "repeating", "forever"] as const;

export const coupons = sqliteTable(
  "coupons",
  {
    id: text("id").primaryKey(),
    // Upper-case; what users type.
    code: text("code").notNull(),
    name: text("name"),
    percentOff: integer("percent_off"),
    amountOff: integer("amount_off"),
    currency: text("currency"),
    duration: text("duration", { enum: COUPON_DURATIONS }).notNull(),
    durationMonths: integer("duration_months"),
    expiresAt: integer("expires_at"),
    maxRedemptions: integer("max_redemptions"),
    timesRedeemed: integer("times_redeemed").notNull().default(0),
    // Null: any plan.
    planIds: text("plan_ids", { mode: "json" }).$type<string[]>(),
    active: integer("active", { mode: "boolean" }).notNull().default(true),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("coupons_code_unique").on(t.code)],
);

export const couponRedemptions = sqliteTable(
  "coupon_redemptions",
  {
    id: text("id").primaryKey(),
    couponId: text("coupon_id")
      .notNull()
      .references(() => coupons.id),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    subscriptionId: text("subscription_id"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("coupon_redemptions_once_per_user").on(t.couponId, t.userId)],
);

export type Subscription = typeof subscriptions.$inferSelect;
export type Coupon = typeof coupons.$inferSelect;
