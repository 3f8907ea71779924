// The admin API as the console calls it: every read and every action goes through these routes
// (the console has no other path to the data). Paths are built by ./query.ts.
import { api } from "../shared/api";
import type { FilterValues, PageRequest, USER_FILTERS } from "./query";
import { listPath, usersPath } from "./query";
import type {
  AdminUser,
  AdminUserRow,
  ApiKey,
  AuditEntry,
  Coupon,
  Dashboard,
  Job,
  JobRun,
  MrrSeries,
  Page,
  Payment,
  Plan,
  Subscription,
  Summary,
  Usage,
  WebhookEvent,
  Window,
} from "./types";

const user = (id: string) => `/v1/admin/users/${encodeURIComponent(id)}`;

export const admin = {
  dashboard: () => api<Dashboard>("GET", "/v1/admin/dashboard"),
  mrr: (interval: "day" | "month") =>
    api<MrrSeries>("GET", `/v1/admin/analytics/mrr?interval=${interval}`),
  summary: () => api<Summary>("GET", "/v1/admin/analytics/summary"),

  users: (filters: FilterValues<typeof USER_FILTERS>, page: PageRequest & { usage?: boolean }) =>
    api<Page<AdminUserRow>>("GET", usersPath(filters, page)),
  user: (id: string) => api<AdminUser>("GET", user(id)),
  setUserStatus: (id: string, status: "active" | "disabled") =>
    api<AdminUser>("PATCH", user(id), { status }),
  usage: (id: string) => api<Usage>("GET", `${user(id)}/usage`),
  resetUsage: (id: string, windows: Window[]) =>
    api<Usage>("POST", `${user(id)}/usage/reset`, { windows }),
  subscription: (id: string) =>
    api<{ subscription: Subscription | null }>("GET", `${user(id)}/subscription`),
  grantPlan: (id: string, planId: string, interval: "month" | "year") =>
    api<{ subscription: Subscription | null }>("PUT", `${user(id)}/subscription`, {
      plan_id: planId,
      interval,
    }),
  apiKeys: (id: string) => api<{ data: ApiKey[] }>("GET", `${user(id)}/api-keys`),

  payments: (filters: Record<string, string>, page: PageRequest = {}) =>
    api<Page<Payment>>("GET", listPath("/v1/admin/payments", filters, page)),
  refund: (id: string, body: { amount?: number; reason?: string }) =>
    api<Payment>("POST", `/v1/admin/payments/${encodeURIComponent(id)}/refund`, body),

  plans: () => api<{ data: Plan[] }>("GET", "/v1/admin/plans"),
  plan: (id: string) => api<Plan>("GET", `/v1/admin/plans/${encodeURIComponent(id)}`),
  createPlan: (body: Record<string, unknown>) => api<Plan>("POST", "/v1/admin/plans", body),
  updatePlan: (id: string, body: Record<string, unknown>) =>
    api<Plan>("PATCH", `/v1/admin/plans/${encodeURIComponent(id)}`, body),

  coupons: (filters: Record<string, string>, page: PageRequest = {}) =>
    api<Page<Coupon>>("GET", listPath("/v1/admin/coupons", filters, page)),
  coupon: (id: string) => api<Coupon>("GET", `/v1/admin/coupons/${encodeURIComponent(id)}`),
  createCoupon: (body: Record<string, unknown>) => api<Coupon>("POST", "/v1/admin/coupons", body),
  updateCoupon: (id: string, body: Record<string, unknown>) =>
    api<Coupon>("PATCH", `/v1/admin/coupons/${encodeURIComponent(id)}`, body),

  webhookEvents: (filters: Record<string, string>, page: PageRequest = {}) =>
    api<Page<WebhookEvent>>("GET", listPath("/v1/admin/webhook-events", filters, page)),
  replay: (id: string) =>
    api<void>("POST", `/v1/admin/webhook-events/${encodeURIComponent(id)}/replay`),

  jobs: () => api<{ data: Job[] }>("GET", "/v1/admin/jobs"),
  runJob: (name: string) => api<JobRun>("POST", `/v1/admin/jobs/${encodeURIComponent(name)}/run`),

  audit: (filters: Record<string, string>, page: PageRequest = {}) =>
    api<Page<AuditEntry>>("GET", listPath("/v1/admin/audit", filters, page)),
};

/**
 * The plans, read once per page load and kept (they change only from the plans page, which
 * calls `forgetPlans`): the users filter and the change-plan form need them, and every request
 * counts against the admin's own rate limit.
 */
let plansOnce: Promise<Plan[]> | null = null;
export function cachedPlans(): Promise<Plan[]> {
  plansOnce ??= admin
    .plans()
    .then((answer) => answer.data)
    .catch((error: unknown) => {
      plansOnce = null;
      throw error;
    });
  return plansOnce;
}
export const forgetPlans = (): void => {
  plansOnce = null;
};
