import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { msg } from "../i18n";
import type { AppEnv } from "../lib/context";
import { ApiError } from "../lib/errors";
import { iso } from "../lib/time";
import { retryAfterSeconds, type WindowState } from "../lib/windows";
import { consume, ipSubject } from "./client";
import { rateLimitHeaders } from "./headers";
import type { BucketResult, CountedResult } from "./messages";

declare module "hono" {
  interface ContextVariableMap {
    /** The rate limiter's answer for this request, for routes that report usage (ping). */
    limits: CountedResult;
  }
}

/** Declares what a route costs against the limits; register it before requireAuth. */
export function routeCost(cost: number) {
  return createMiddleware<AppEnv>(async (c, next) => {
    c.set("cost", cost);
    await next();
  });
}

/** Prefixes a suspended subscriber can still reach: to log in, pay, and see their account. */
const OPEN_WHEN_SUSPENDED = [
  "/v1/auth/",
  "/v1/me",
  "/v1/subscription",
  "/v1/billing",
  "/v1/payments",
  "/v1/admin",
];

export function openWhenSuspended(path: string): boolean {
  return OPEN_WHEN_SUSPENDED.some((prefix) => path === prefix || path.startsWith(prefix));
}

export function rateLimitedError(
  violations: { window: string; limit: number | null; used: number; reset_at: number }[],
  now: number,
  headers: Record<string, string> = {},
): ApiError {
  const retryAfter = retryAfterSeconds(violations as WindowState[], now);
  return new ApiError(
    "rate_limited",
    msg("problems.rate_limited.retry", {
      windows: violations.map((v) => v.window).join(", "),
      count: retryAfter,
    }),
    {
      extensions: {
        violations: violations.map((v) => ({
          window: v.window,
          limit: v.limit,
          used: v.used,
          reset_at: iso(v.reset_at),
        })),
      },
      headers: { ...headers, "Retry-After": String(retryAfter) },
    },
  );
}

/**
 * Turns the object's answer into the response: RateLimit headers on every limited response,
 * 429 when a window is full, 402 when suspended, a warning header when past due.
 */
export async function enforce(
  c: Context<AppEnv>,
  result: CountedResult,
  next: () => Promise<void>,
): Promise<void> {
  const now = c.var.now;
  const headers = rateLimitHeaders(result.windows, now);
  c.set("limits", result);
  if (result.outcome === "limited") throw rateLimitedError(result.violations, now, headers);
  if (result.outcome === "payment_required") {
    throw new ApiError("payment_required", msg("problems.payment_required.suspended"), {
      headers,
    });
  }
  // Set as the response is made (cheaper than changing it afterwards); an error answer is a new
  // response, which gets them too.
  for (const [name, value] of Object.entries(headers)) c.header(name, value);
  if (result.standing === "past_due") c.header("X-Billing-Standing", "past_due");
  await next();
  if (c.error) {
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
    if (result.standing === "past_due") c.res.headers.set("X-Billing-Standing", "past_due");
  }
}

export function clientIp(c: Context<AppEnv>): string {
  return c.req.header("cf-connecting-ip") ?? "unknown";
}

/** Anonymous routes: limited per client IP with the configured anonymous limits. */
export const limitByIp = createMiddleware<AppEnv>(async (c, next) => {
  const config = c.var.config;
  const result = await consume(c.env, {
    subject: ipSubject(clientIp(c)),
    now: c.var.now,
    cost: c.var.cost ?? 1,
    limits: {
      minute: config.ANON_LIMIT_PER_MINUTE,
      hour: config.ANON_LIMIT_PER_HOUR,
      day: config.ANON_LIMIT_PER_DAY,
      month: null,
    },
  });
  // Anonymous subjects carry no credential: nothing but limits can refuse them.
  if (result.outcome === "unauthenticated" || result.outcome === "account_disabled") {
    throw new ApiError("unauthorized");
  }
  await enforce(c, result, next);
});

export function bucketExceeded(result: BucketResult, now: number): ApiError {
  return rateLimitedError(
    [{ window: result.name, limit: result.limit, used: result.used, reset_at: result.reset_at }],
    now,
  );
}
