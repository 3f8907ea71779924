import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { msg } from "../i18n";
import type { AppEnv } from "../lib/context";
import { ApiError } from "../lib/errors";
import { iso } from "../lib/time";
import { type NamedWindow, retryAfterSeconds } from "../lib/windows";
import { featureNotInPlan } from "../policy/features";
import { consume, ipSubject } from "./client";
import { rateLimitHeaders } from "./headers";
import type {
  Admission,
  BucketResult,
  ConsumeRequest,
  CountedResult,
  ReplayResult,
} from "./messages";

declare module "hono" {
  interface ContextVariableMap {
    /** The rate limiter's answer for this request, for routes that report usage (ping). */
    limits: CountedResult;
    /**
     * A priced or separately limited call's window, price and reference, set by a middleware
     * registered before requireAuth: admitted (and held) in the same RPC as the limits.
     */
    admission: Admission;
    /** Set instead of `limits` when the Idempotency-Key repeats an admitted call: its reference. */
    replayOf: string;
  }
}

/**
 * Declares what a route costs in the window that counts it (the plan's, or an account route's
 * own); register it before requireAuth.
 */
export function routeCost(cost: number) {
  return createMiddleware<AppEnv>(async (c, next) => {
    c.set("cost", cost);
    await next();
  });
}

export function rateLimitedError(
  violations: { window: string; limit: number | null; used: number; reset_at: number }[],
  now: number,
  headers: Record<string, string> = {},
): ApiError {
  const retryAfter = retryAfterSeconds(violations, now);
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

/** 402 for a price the wallet cannot cover: the currency, the price and what is available. */
export function insufficientFunds(
  funds: CountedResult["funds"],
  headers: Record<string, string> = {},
): ApiError {
  if (!funds) return new ApiError("insufficient_funds", undefined, { headers });
  const currency = funds.currency.toUpperCase();
  return new ApiError(
    "insufficient_funds",
    msg("problems.insufficient_funds.short", {
      price: funds.price,
      available: funds.available,
      currency,
    }),
    {
      extensions: { currency: funds.currency, price: funds.price, available: funds.available },
      headers,
    },
  );
}

/**
 * Turns the object's answer into the response: RateLimit headers on every limited response,
 * 429 when a window is full, 402 when suspended or short of funds, a warning header when past
 * due. A replayed Idempotency-Key counted nothing: the route answers the first call
 * (`c.var.replayOf`). The headers describe the windows the request counts in: the plan's when
 * its cost there is above 0, and its own window (an account route's: that one alone).
 */
export async function enforce(
  c: Context<AppEnv>,
  request: Pick<ConsumeRequest, "cost">,
  result: CountedResult | ReplayResult,
  next: () => Promise<void>,
): Promise<void> {
  if (result.outcome === "replay") {
    c.set("replayOf", result.reference);
    await next();
    return;
  }
  const now = c.var.now;
  const counted: NamedWindow[] = request.cost > 0 ? result.windows : [];
  const headers = rateLimitHeaders(result.window ? [...counted, result.window] : counted, now);
  c.set("limits", result);
  if (result.outcome === "limited") throw rateLimitedError(result.violations, now, headers);
  if (result.outcome === "payment_required") {
    throw new ApiError("payment_required", msg("problems.payment_required.suspended"), {
      headers,
    });
  }
  if (result.outcome === "insufficient_funds") throw insufficientFunds(result.funds, headers);
  if (result.outcome === "feature_not_in_plan") {
    // Only a refusal reads D1 (the plan to offer instead); the admitted path reads nothing.
    throw await featureNotInPlan(c.var.db, result.feature ?? "");
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
  const request: ConsumeRequest = {
    subject: ipSubject(clientIp(c)),
    now: c.var.now,
    cost: c.var.cost ?? 1,
    limits: {
      minute: config.ANON_LIMIT_PER_MINUTE,
      hour: config.ANON_LIMIT_PER_HOUR,
      day: config.ANON_LIMIT_PER_DAY,
      month: null,
    },
  };
  const result = await consume(c.env, request);
  // Anonymous subjects carry no credential: nothing but limits can refuse them.
  if (result.outcome === "unauthenticated" || result.outcome === "account_disabled") {
    throw new ApiError("unauthorized");
  }
  await enforce(c, request, result, next);
});

export function bucketExceeded(result: BucketResult, now: number): ApiError {
  return rateLimitedError(
    [{ window: result.name, limit: result.limit, used: result.used, reset_at: result.reset_at }],
    now,
  );
}
