// The admin API's answers as the console reads them (the OpenAPI document at /openapi.json is
// the contract; these name only what the console uses).

import type {
  ApiKey,
  Limits,
  Money,
  Page,
  Payment as SharedPayment,
  Plan as SharedPlan,
  Standing,
  Subscription,
  Usage,
  UsageWindow,
  WindowName,
} from "../shared/types";

export { WINDOWS } from "../shared/types";
export type { ApiKey, Limits, Money, Page, Standing, Subscription, Usage };
export type Window = WindowName;
export type Windows = Record<Window, UsageWindow>;

export const STANDINGS: readonly Standing[] = ["good", "past_due", "restricted", "suspended"];
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

export const PAYMENT_STATUSES = ["succeeded", "failed", "refunded", "partially_refunded"] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/** A payment as admins see it: whose it is, too. */
export interface Payment extends SharedPayment {
  user_id: string;
  status: PaymentStatus;
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

/** A plan as admins see it: archived ones too, with the provider's price ids. */
export interface Plan extends SharedPlan {
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
