import { sql } from "drizzle-orm";
import {
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";
import type { PlanFeatures } from "./plan-features";
import type { UserSettings } from "./user-settings";

// All times are integer epoch milliseconds (UTC). All ids are prefixed random strings.

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
    locale: text("locale"),
    timezone: text("timezone"),
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

// A session is one login: the family of refresh tokens that rotate from it.
export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    createdAt: integer("created_at").notNull(),
    lastUsedAt: integer("last_used_at").notNull(),
    revokedAt: integer("revoked_at"),
    revokedReason: text("revoked_reason"),
    userAgent: text("user_agent"),
    ip: text("ip"),
  },
  (t) => [index("sessions_user_idx").on(t.userId)],
);

export const refreshTokens = sqliteTable(
  "refresh_tokens",
  {
    id: text("id").primaryKey(),
    sessionId: text("session_id")
      .notNull()
      .references(() => sessions.id),
    // SHA-256 of the token; the token itself is never stored.
    tokenHash: text("token_hash").notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    usedAt: integer("used_at"),
  },
  (t) => [
    uniqueIndex("refresh_tokens_hash_unique").on(t.tokenHash),
    index("refresh_tokens_session_idx").on(t.sessionId),
    index("refresh_tokens_expires_idx").on(t.expiresAt),
  ],
);

// Single-use tokens mailed to the user: email verification and password reset.
export const authTokens = sqliteTable(
  "auth_tokens",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    purpose: text("purpose", { enum: ["email_verify", "password_reset"] }).notNull(),
    tokenHash: text("token_hash").notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    usedAt: integer("used_at"),
  },
  (t) => [
    uniqueIndex("auth_tokens_hash_unique").on(t.tokenHash),
    index("auth_tokens_user_idx").on(t.userId, t.purpose),
    index("auth_tokens_expires_idx").on(t.expiresAt),
  ],
);

export const emailOutbox = sqliteTable(
  "email_outbox",
  {
    id: text("id").primaryKey(),
    userId: text("user_id").references(() => users.id),
    toAddress: text("to_address").notNull(),
    template: text("template").notNull(),
    subject: text("subject").notNull(),
    textBody: text("text_body").notNull(),
    status: text("status", { enum: ["pending", "sent", "failed"] })
      .notNull()
      .default("pending"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    providerMessageId: text("provider_message_id"),
    lastAttemptAt: integer("last_attempt_at"),
    // A delivery in progress holds the row until then, so two deliveries never both send it.
    lockedUntil: integer("locked_until"),
    createdAt: integer("created_at").notNull(),
    sentAt: integer("sent_at"),
  },
  (t) => [
    index("email_outbox_user_idx").on(t.userId),
    index("email_outbox_status_idx").on(t.status, t.createdAt),
  ],
);

export const auditLog = sqliteTable(
  "audit_log",
  {
    id: text("id").primaryKey(),
    actorId: text("actor_id").notNull(),
    action: text("action").notNull(),
    targetType: text("target_type").notNull(),
    targetId: text("target_id").notNull(),
    data: text("data", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    index("audit_log_created_idx").on(t.createdAt, t.id),
    index("audit_log_target_idx").on(t.targetType, t.targetId),
  ],
);

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

// API keys authenticate as their user. Only the hash is stored; the owner's RateLimiter object
// holds the hashes of the live ones, so verifying a key needs no D1 query.
export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    name: text("name").notNull(),
    // The first characters of the key, shown so users can tell their keys apart.
    prefix: text("prefix").notNull(),
    keyHash: text("key_hash").notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at"),
    lastUsedAt: integer("last_used_at"),
    revokedAt: integer("revoked_at"),
  },
  (t) => [
    uniqueIndex("api_keys_hash_unique").on(t.keyHash),
    index("api_keys_user_idx").on(t.userId, t.createdAt),
  ],
);

// Closed hours flushed from each subject's RateLimiter object; absolute values, so re-flushing
// an hour rewrites the same numbers.
export const usageHourly = sqliteTable(
  "usage_hourly",
  {
    subject: text("subject").notNull(),
    hour: integer("hour").notNull(),
    allowed: integer("allowed").notNull(),
    denied: integer("denied").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.subject, t.hour] }),
    index("usage_hourly_hour_idx").on(t.hour),
    // The rollup finds the hours flushed since its last run by this.
    index("usage_hourly_updated_idx").on(t.updatedAt),
  ],
);

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

export const PAYMENT_STATUSES = ["succeeded", "failed", "refunded", "partially_refunded"] as const;

export const payments = sqliteTable(
  "payments",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    subscriptionId: text("subscription_id").references(() => subscriptions.id),
    provider: text("provider", { enum: PROVIDERS }).notNull(),
    // The charge (Stripe) or sale (PayPal): what a refund refers to.
    providerPaymentId: text("provider_payment_id").notNull(),
    providerInvoiceId: text("provider_invoice_id"),
    amount: integer("amount").notNull(),
    amountRefunded: integer("amount_refunded").notNull().default(0),
    currency: text("currency").notNull(),
    status: text("status", { enum: PAYMENT_STATUSES }).notNull(),
    periodStart: integer("period_start"),
    periodEnd: integer("period_end"),
    receiptUrl: text("receipt_url"),
    failureReason: text("failure_reason"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("payments_provider_unique").on(t.provider, t.providerPaymentId),
    index("payments_user_idx").on(t.userId, t.createdAt),
    index("payments_created_idx").on(t.createdAt, t.id),
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

export const WEBHOOK_EVENT_STATUSES = ["pending", "processed", "ignored", "failed"] as const;

export const webhookEvents = sqliteTable(
  "webhook_events",
  {
    id: text("id").primaryKey(),
    provider: text("provider", { enum: PAID_PROVIDERS }).notNull(),
    providerEventId: text("provider_event_id").notNull(),
    type: text("type").notNull(),
    // The provider's own timestamp of the event (ms).
    occurredAt: integer("occurred_at").notNull(),
    payload: text("payload").notNull(),
    status: text("status", { enum: WEBHOOK_EVENT_STATUSES }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    // A delivery applying the event holds it until then, so duplicates never apply it twice.
    lockedUntil: integer("locked_until"),
    receivedAt: integer("received_at").notNull(),
    processedAt: integer("processed_at"),
  },
  (t) => [
    uniqueIndex("webhook_events_provider_unique").on(t.provider, t.providerEventId),
    index("webhook_events_status_idx").on(t.status, t.receivedAt),
  ],
);

// ---- Cron: job runs, usage rollups, revenue analytics ------------------------------------

export const JOB_TRIGGERS = ["cron", "admin"] as const;
export const JOB_RUN_STATUSES = ["running", "ok", "error"] as const;

export const jobRuns = sqliteTable(
  "job_runs",
  {
    id: text("id").primaryKey(),
    job: text("job").notNull(),
    trigger: text("trigger", { enum: JOB_TRIGGERS }).notNull(),
    // The `now` the job ran with (scheduled time, or the admin's request time).
    runAt: integer("run_at").notNull(),
    startedAt: integer("started_at").notNull(),
    finishedAt: integer("finished_at"),
    durationMs: integer("duration_ms"),
    status: text("status", { enum: JOB_RUN_STATUSES }).notNull(),
    counts: text("counts", { mode: "json" }).$type<Record<string, number>>().notNull().default({}),
    error: text("error"),
    // Where the next run resumes, for jobs that work through more than one run's batch.
    cursor: text("cursor"),
    // What D1 reported for the job's queries: rows read and written, queries counted.
    d1Usage: text("d1_usage", { mode: "json" }).$type<{
      rows_read: number;
      rows_written: number;
      queries: number;
      unmetered: number;
    }>(),
  },
  (t) => [index("job_runs_job_idx").on(t.job, t.startedAt)],
);

export const usageDaily = sqliteTable(
  "usage_daily",
  {
    subject: text("subject").notNull(),
    // UTC midnight (ms).
    day: integer("day").notNull(),
    allowed: integer("allowed").notNull(),
    denied: integer("denied").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.subject, t.day] }), index("usage_daily_day_idx").on(t.day)],
);

export const usageDailyTotals = sqliteTable("usage_daily_totals", {
  day: integer("day").primaryKey(),
  allowed: integer("allowed").notNull(),
  denied: integer("denied").notNull(),
  activeSubjects: integer("active_subjects").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

// Each paying user's MRR as of the last analytics run, per currency: today's value compared with
// this one classifies the day's MRR movement (new, expansion, contraction, churn, reactivation).
export const subscriberMrr = sqliteTable(
  "subscriber_mrr",
  {
    userId: text("user_id").notNull(),
    currency: text("currency").notNull(),
    mrr: integer("mrr").notNull(),
    planId: text("plan_id"),
    // Set while the user pays; kept (with mrr 0) after churn so a return counts as reactivation.
    everPaid: integer("ever_paid", { mode: "boolean" }).notNull().default(true),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.currency] })],
);

// One row per UTC day and currency; the analytics API reads only these.
export const revenueDaily = sqliteTable(
  "revenue_daily",
  {
    day: integer("day").notNull(),
    currency: text("currency").notNull(),
    mrr: integer("mrr").notNull(),
    arr: integer("arr").notNull(),
    payingSubscribers: integer("paying_subscribers").notNull(),
    trials: integer("trials").notNull(),
    subscribersByPlan: text("subscribers_by_plan", { mode: "json" })
      .$type<Record<string, number>>()
      .notNull(),
    newMrr: integer("new_mrr").notNull(),
    expansionMrr: integer("expansion_mrr").notNull(),
    contractionMrr: integer("contraction_mrr").notNull(),
    churnedMrr: integer("churned_mrr").notNull(),
    reactivationMrr: integer("reactivation_mrr").notNull(),
    newSubscribers: integer("new_subscribers").notNull(),
    churnedSubscribers: integer("churned_subscribers").notNull(),
    signups: integer("signups").notNull(),
    activeUsers: integer("active_users").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.day, t.currency] })],
);

export type User = typeof users.$inferSelect;
export type Subscription = typeof subscriptions.$inferSelect;
export type Payment = typeof payments.$inferSelect;
export type Coupon = typeof coupons.$inferSelect;
export type WebhookEvent = typeof webhookEvents.$inferSelect;
export type Plan = typeof plans.$inferSelect;
