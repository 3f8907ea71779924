// The admin API's answers as the console reads them (the OpenAPI document at /openapi.json is
// the contract; these name only what the console uses).

export type Window = "minute" | "hour" | "day" | "month";
export const WINDOWS: readonly Window[] = ["minute", "hour", "day", "month"];

export interface WindowUsage {
  used: number;
  limit: number | null;
  remaining: number | null;
  reset_at: string;
}

export type Windows = Record<Window, WindowUsage>;

export const STANDINGS = ["good", "past_due", "restricted", "suspended"] as const;
export type Standing = (typeof STANDINGS)[number];
export const USER_STATUSES = ["active", "disabled", "deleted"] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

export interface AdminUser {
  id: string;
  email: string;
  name: string | null;
  role: "user" | "admin";
  status: UserStatus;
  email_verified: boolean;
  locale: string | null;
  timezone: string | null;
  created_at: string;
  updated_at: string;
}

/** A row of GET /v1/admin/users: the plan in force and standing, and usage when asked. */
export interface AdminUserRow extends AdminUser {
  plan: string;
  standing: Standing;
  usage?: Windows | null;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface Usage {
  plan: string | null;
  standing: Standing;
  windows: Windows;
  history: { date: string; allowed: number; denied: number }[];
}

export interface Subscription {
  id: string;
  plan: { id: string; code: string; name: string } | null;
  interval: "month" | "year";
  status: string;
  standing: Standing;
  provider: "stripe" | "paypal" | "manual";
  cancel_at_period_end: boolean;
  current_period_start: string | null;
  current_period_end: string | null;
  trial_end: string | null;
  scheduled_change: { plan_id: string; interval: string; effective_at: string | null } | null;
  created_at: string;
}

export const PAYMENT_STATUSES = ["succeeded", "failed", "refunded", "partially_refunded"] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export interface Payment {
  id: string;
  user_id: string;
  subscription_id: string | null;
  provider: "stripe" | "paypal" | "manual";
  amount: number;
  amount_refunded: number;
  currency: string;
  status: PaymentStatus;
  period_start: string | null;
  period_end: string | null;
  receipt_url: string | null;
  failure_reason: string | null;
  created_at: string;
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
}

export interface AuditEntry {
  id: string;
  actor_id: string;
  action: string;
  target_type: string;
  target_id: string;
  data: Record<string, unknown>;
  created_at: string;
}

export type Limits = Record<Window, number | null>;

export interface Money {
  amount: number;
  currency: string;
}

export interface Plan {
  id: string;
  code: string;
  name: string;
  description: string | null;
  prices: { month: Money; year: Money };
  limits: Limits;
  trial_days: number;
  features: Record<string, unknown>;
  status: "active" | "archived";
  sort_order: number;
  provider_ids: {
    stripe_price_month: string | null;
    stripe_price_year: string | null;
    paypal_plan_month: string | null;
    paypal_plan_year: string | null;
  };
}

export interface Coupon {
  id: string;
  code: string;
  name: string | null;
  percent_off: number | null;
  amount_off: number | null;
  currency: string | null;
  duration: "once" | "repeating" | "forever";
  duration_months: number | null;
  expires_at: string | null;
  max_redemptions: number | null;
  times_redeemed: number;
  plan_ids: string[] | null;
  active: boolean;
  created_at: string;
}

export const WEBHOOK_STATUSES = ["pending", "processed", "ignored", "failed"] as const;
export type WebhookStatus = (typeof WEBHOOK_STATUSES)[number];

export interface WebhookEvent {
  id: string;
  provider: "stripe" | "paypal";
  provider_event_id: string;
  type: string;
  status: WebhookStatus;
  attempts: number;
  last_error: string | null;
  occurred_at: string;
  received_at: string;
  processed_at: string | null;
}

export interface JobRun {
  id: string;
  job: string;
  trigger: "cron" | "admin";
  run_at: string;
  started_at: string;
  duration_ms: number | null;
  status: "running" | "ok" | "error";
  counts: Record<string, number>;
  error: string | null;
}

export interface Job {
  name: string;
  crons: string[];
  last_run: JobRun | null;
}

export interface Movements {
  new_mrr: number;
  expansion_mrr: number;
  contraction_mrr: number;
  churned_mrr: number;
  reactivation_mrr: number;
  net_new_mrr: number;
  new_subscribers: number;
  churned_subscribers: number;
}

export interface MrrPoint extends Movements {
  date: string;
  mrr: number;
  arr: number;
  paying_subscribers: number;
  trials: number;
  subscribers_by_plan: Record<string, number>;
}

export interface MrrSeries {
  interval: "day" | "month";
  from: string;
  to: string;
  series: Record<string, MrrPoint[]>;
}

export interface Dashboard {
  users: { total: number; active_today: number };
  subscribers: { by_plan: Record<string, number>; by_status: Record<string, number> };
  mrr: Record<
    string,
    { as_of: string; mrr: number; arr: number; paying_subscribers: number; trials: number }
  >;
  failed_payments_7d: number;
  failed_webhook_events_7d: number;
}

export interface Summary {
  from: string;
  to: string;
  currencies: Record<
    string,
    {
      mrr: number;
      arr: number;
      paying_subscribers: number;
      movements: Movements;
      signups: number;
      active_users: number;
      avg_active_users: number;
      logo_churn: number | null;
      revenue_churn: number | null;
      arpu: number | null;
    }
  >;
}
