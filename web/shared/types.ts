// The API's answers as the browser apps read them (snake_case, ISO times, integer minor units).
// The source of truth is the OpenAPI document (GET /openapi.json); these mirror what is used.

export type Interval = "month" | "year";
export type Standing = "good" | "past_due" | "restricted" | "suspended";
export type WindowName = "minute" | "hour" | "day" | "month";
export const WINDOWS: readonly WindowName[] = ["minute", "hour", "day", "month"];

export interface Money {
  amount: number;
  currency: string;
}

export type Limits = Record<WindowName, number | null>;

export interface Plan {
  id: string;
  code: string;
  name: string;
  description: string | null;
  prices: Record<Interval, Money>;
  trial_days: number;
  limits: Limits;
  features: Record<string, unknown>;
}

export interface Subscription {
  id: string;
  plan: { id: string; code: string; name: string } | null;
  interval: Interval;
  status: string;
  standing: Standing;
  provider: "stripe" | "paypal" | "manual";
  cancel_at_period_end: boolean;
  current_period_start: string | null;
  current_period_end: string | null;
  trial_end: string | null;
  scheduled_change: {
    plan_id: string;
    interval: Interval;
    effective_at: string | null;
  } | null;
  created_at: string;
}

/** The user an auth answer carries. */
export interface SessionUser {
  id: string;
  email: string;
  name: string | null;
  role: "user" | "admin";
  email_verified: boolean;
  created_at: string;
}

export interface Me extends SessionUser {
  locale: string | null;
  timezone: string | null;
  plan: { id: string; code: string; name: string; limits: Limits } | null;
  subscription: Subscription | null;
}

export interface UsageWindow {
  used: number;
  limit: number | null;
  remaining: number | null;
  reset_at: string;
}

export interface Usage {
  plan: string | null;
  standing: Standing;
  windows: Record<WindowName, UsageWindow>;
  history: { date: string; allowed: number; denied: number }[];
}

export interface Proration {
  direction: "upgrade" | "downgrade" | "same";
  currency: string;
  credit: number;
  charge: number;
  amount_due_now: number;
  carried_credit: number;
  next_invoice: { amount: number; at: string };
}

export interface Payment {
  id: string;
  subscription_id: string | null;
  provider: "stripe" | "paypal" | "manual";
  amount: number;
  amount_refunded: number;
  currency: string;
  status: string;
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

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}
