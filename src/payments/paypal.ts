// PayPal through its REST API with plain fetch: Subscriptions v1 for recurring billing,
// Payments v1 (sales) for refunds, OAuth2 client credentials for the access token.
// tollgate keeps its own records; PayPal moves the money and reports back through webhooks.

import { couponDiscount } from "../coupons/discount";
import type {
  Coupon,
  Interval,
  Payment,
  Plan,
  Subscription,
  SubscriptionStatus,
} from "../db/schema";
import type { Config } from "../env";
import { ApiError } from "../lib/errors";
import { MINUTE, SECOND } from "../lib/time";
import type {
  BillingProvider,
  CheckoutRequest,
  CheckoutResult,
  PlanChange,
  ProviderSubscriptionState,
} from "./provider";

// ---- money: integer minor units <-> PayPal's decimal strings, exactly, never through floats ---

// ISO 4217 exponents that are not 2.
const ZERO_DECIMAL = new Set([
  "BIF",
  "CLP",
  "DJF",
  "GNF",
  "ISK",
  "JPY",
  "KMF",
  "KRW",
  "PYG",
  "RWF",
  "UGX",
  "VND",
  "VUV",
  "XAF",
  "XOF",
  "XPF",
]);
const THREE_DECIMAL = new Set(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"]);

export function currencyExponent(currency: string): number {
  const code = currency.toUpperCase();
  if (ZERO_DECIMAL.has(code)) return 0;
  if (THREE_DECIMAL.has(code)) return 3;
  return 2;
}

/** 2900 USD → "29.00"; 5 USD → "0.05"; 500 JPY → "500". */
export function toPayPalValue(minor: number, currency: string): string {
  if (!Number.isSafeInteger(minor)) {
    throw new Error(`an amount must be a whole number of minor units, got ${minor}`);
  }
  const exponent = currencyExponent(currency);
  const sign = minor < 0 ? "-" : "";
  const digits = String(Math.abs(minor));
  if (exponent === 0) return `${sign}${digits}`;
  const padded = digits.padStart(exponent + 1, "0");
  return `${sign}${padded.slice(0, -exponent)}.${padded.slice(-exponent)}`;
}

/**
 * "29.00" USD → 2900; "822.0100" CZK → 82201 (trailing zeros past the currency's exponent are
 * fine), while "822.0160" CZK is refused (a fraction of a minor unit). Throws on anything that
 * is not a plain decimal.
 */
export function fromPayPalValue(value: string, currency: string): number {
  const match = /^(-?)(\d*)(?:\.(\d*))?$/.exec(value.trim());
  const whole = match?.[2] ?? "";
  const fraction = match?.[3] ?? "";
  if (!match || (whole === "" && fraction === "")) {
    throw new Error(`not a decimal amount: ${JSON.stringify(value)}`);
  }
  const exponent = currencyExponent(currency);
  if (/[^0]/.test(fraction.slice(exponent))) {
    throw new Error(`${value} ${currency} is not a whole number of minor units`);
  }
  const minor = Number(`${whole || "0"}${fraction.slice(0, exponent).padEnd(exponent, "0")}`);
  if (!Number.isSafeInteger(minor)) throw new Error(`amount out of range: ${value}`);
  return match[1] === "-" && minor !== 0 ? -minor : minor;
}

/** The price after the coupon, in minor units (the discount is the one proration uses). */
export function discountedPrice(price: number, currency: string, coupon: Coupon): number {
  if (
    coupon.amountOff != null &&
    coupon.currency &&
    coupon.currency.toLowerCase() !== currency.toLowerCase()
  ) {
    throw new ApiError(
      "coupon_not_applicable",
      `This coupon is in ${coupon.currency.toUpperCase()}, the plan in ${currency.toUpperCase()}`,
    );
  }
  return price - couponDiscount(price, coupon);
}

// ---- PayPal's shapes (only what tollgate reads) ----------------------------------------------

interface Link {
  href: string;
  rel: string;
  method?: string;
}

export interface PayPalMoney {
  currency_code: string;
  value: string;
}

export interface PayPalSubscription {
  id: string;
  plan_id?: string;
  status: string;
  status_update_time?: string;
  start_time?: string;
  create_time?: string;
  update_time?: string;
  custom_id?: string;
  subscriber?: { email_address?: string; payer_id?: string };
  billing_info?: {
    next_billing_time?: string;
    last_payment?: { amount?: PayPalMoney; time?: string };
    last_failed_payment?: { amount?: PayPalMoney; time?: string };
    failed_payments_count?: number;
  };
  links?: Link[];
}

export interface BillingCycleOverride {
  sequence: number;
  tenure_type: "TRIAL" | "REGULAR";
  frequency: { interval_unit: "MONTH" | "YEAR"; interval_count: 1 };
  /** 0: until canceled. */
  total_cycles: number;
  pricing_scheme: { fixed_price: PayPalMoney };
}

const STATUS: Record<string, SubscriptionStatus> = {
  APPROVAL_PENDING: "incomplete",
  APPROVED: "incomplete",
  ACTIVE: "active",
  SUSPENDED: "past_due",
  CANCELLED: "canceled",
  EXPIRED: "expired",
};

function time(value: string | undefined | null): number | null {
  if (!value) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

/**
 * A PayPal subscription as tollgate's provider-neutral state. `stateAt` is PayPal's time for the
 * status (event handlers replace it with the event's own time). PayPal has no "cancel at period
 * end" and no separate trial status: a trial cycle is ACTIVE.
 */
export function subscriptionState(resource: PayPalSubscription): ProviderSubscriptionState {
  const status = STATUS[resource.status];
  if (!status) throw new Error(`unknown PayPal subscription status ${resource.status}`);
  const stateAt = time(resource.status_update_time ?? resource.update_time);
  return {
    providerSubscriptionId: resource.id,
    status,
    providerPriceId: resource.plan_id ?? null,
    currentPeriodStart: time(resource.billing_info?.last_payment?.time ?? resource.start_time),
    currentPeriodEnd: time(resource.billing_info?.next_billing_time),
    trialEnd: null,
    cancelAtPeriodEnd: false,
    canceledAt: status === "canceled" ? stateAt : null,
    stateAt: stateAt ?? 0,
  };
}

export function approveLink(links: Link[] | undefined): string | null {
  return links?.find((link) => link.rel === "approve")?.href ?? null;
}

export function paypalPlanId(plan: Plan, interval: Interval): string | null {
  return interval === "month" ? plan.paypalPlanMonth : plan.paypalPlanYear;
}

/**
 * The `plan.billing_cycles` override that gives a coupon's discount: "once" → one TRIAL cycle at
 * the discounted price, then the regular price; "repeating" N months → N monthly (or ⌈N/12⌉
 * yearly: the periods that start within the N months, as proration counts them) TRIAL cycles
 * at the discounted price; "forever" → the regular cycle at the discounted
 * price. Null when the coupon changes nothing.
 */
export function couponBillingCycles(
  price: number,
  currency: string,
  interval: Interval,
  coupon: Coupon,
): BillingCycleOverride[] | null {
  const discounted = discountedPrice(price, currency, coupon);
  if (discounted === price) return null;
  const currencyCode = currency.toUpperCase();
  const frequency = {
    interval_unit: interval === "month" ? "MONTH" : "YEAR",
    interval_count: 1,
  } as const;
  const priced = (amount: number) => ({
    fixed_price: { currency_code: currencyCode, value: toPayPalValue(amount, currency) },
  });
  const regular = (sequence: number, amount: number): BillingCycleOverride => ({
    sequence,
    tenure_type: "REGULAR",
    frequency,
    total_cycles: 0,
    pricing_scheme: priced(amount),
  });
  if (coupon.duration === "forever") return [regular(1, discounted)];
  let cycles = 1;
  if (coupon.duration === "repeating") {
    const months = coupon.durationMonths ?? 0;
    if (!Number.isInteger(months) || months < 1) {
      throw new ApiError("coupon_not_applicable", "This coupon has no valid duration in months");
    }
    cycles = interval === "month" ? months : Math.ceil(months / 12);
  }
  return [
    {
      sequence: 1,
      tenure_type: "TRIAL",
      frequency,
      total_cycles: cycles,
      pricing_scheme: priced(discounted),
    },
    regular(2, price),
  ];
}

// ---- HTTP ------------------------------------------------------------------------------------

export interface PayPalCredentials {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
}

export function paypalCredentials(config: Config): PayPalCredentials | null {
  if (!config.PAYPAL_CLIENT_ID || !config.PAYPAL_CLIENT_SECRET) return null;
  return {
    baseUrl: config.PAYPAL_API_BASE_URL.replace(/\/+$/, ""),
    clientId: config.PAYPAL_CLIENT_ID,
    clientSecret: config.PAYPAL_CLIENT_SECRET,
  };
}

/** A token is renewed this long before PayPal says it expires. */
const TOKEN_MARGIN = 5 * MINUTE;

interface CachedToken {
  token: string;
  expiresAt: number;
}

// Access tokens live in the isolate: one per API base and client id, shared by all requests.
const tokenCache = new Map<string, CachedToken>();
const tokenRequests = new Map<string, Promise<CachedToken>>();

/** For tests: forget every cached token. */
export function clearPayPalTokenCache(): void {
  tokenCache.clear();
  tokenRequests.clear();
}

export interface PayPalResponse {
  status: number;
  body: unknown;
  debugId: string | null;
}

function debugIdOf(body: unknown, headers: Headers): string | null {
  if (body && typeof body === "object" && "debug_id" in body && typeof body.debug_id === "string") {
    return body.debug_id;
  }
  return headers.get("paypal-debug-id");
}

function errorName(body: unknown): string | null {
  if (!body || typeof body !== "object") return null;
  if ("name" in body && typeof body.name === "string") return body.name;
  if ("error" in body && typeof body.error === "string") return body.error;
  return null;
}

/** The issues PayPal lists for a failed request (`details[].issue`). */
export function errorIssues(body: unknown): string[] {
  if (!body || typeof body !== "object" || !("details" in body) || !Array.isArray(body.details)) {
    return [];
  }
  return body.details
    .map((detail: unknown) =>
      detail && typeof detail === "object" && "issue" in detail ? String(detail.issue) : "",
    )
    .filter(Boolean);
}

/** Never includes credentials or tokens: the operation, the status, PayPal's error name and debug id. */
export function providerError(what: string, response: PayPalResponse): ApiError {
  const name = errorName(response.body);
  const issues = errorIssues(response.body);
  const parts = [`PayPal ${what} failed with HTTP ${response.status}`];
  if (name) parts.push(name);
  if (issues.length > 0) parts.push(`(${issues.join(", ")})`);
  if (response.debugId) parts.push(`debug_id ${response.debugId}`);
  return new ApiError("provider_error", parts.join(" "));
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

async function send(url: string, init: RequestInit, what: string): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch {
    throw new ApiError("provider_error", `PayPal ${what} failed: PayPal could not be reached`);
  }
}

export class PayPalClient {
  constructor(private readonly credentials: PayPalCredentials) {}

  private get cacheKey(): string {
    return `${this.credentials.baseUrl} ${this.credentials.clientId}`;
  }

  private async fetchToken(): Promise<CachedToken> {
    const { baseUrl, clientId, clientSecret } = this.credentials;
    const response = await send(
      `${baseUrl}/v1/oauth2/token`,
      {
        method: "POST",
        headers: {
          authorization: `Basic ${btoa(`${clientId}:${clientSecret}`)}`,
          "content-type": "application/x-www-form-urlencoded",
          accept: "application/json",
        },
        body: "grant_type=client_credentials",
      },
      "authentication",
    );
    const body = await readBody(response);
    const result = { status: response.status, body, debugId: debugIdOf(body, response.headers) };
    if (!response.ok) throw providerError("authentication", result);
    const token = body as { access_token?: unknown; expires_in?: unknown } | null;
    if (typeof token?.access_token !== "string" || typeof token.expires_in !== "number") {
      throw providerError("authentication", result);
    }
    const lifetime = token.expires_in * SECOND;
    // Short-lived tokens are renewed halfway through rather than never cached.
    const margin = Math.min(TOKEN_MARGIN, lifetime / 2);
    return { token: token.access_token, expiresAt: Date.now() + lifetime - margin };
  }

  /** A cached token while it has more than the margin left; one request at a time renews it. */
  async accessToken(): Promise<string> {
    const key = this.cacheKey;
    const cached = tokenCache.get(key);
    if (cached && cached.expiresAt > Date.now()) return cached.token;
    let pending = tokenRequests.get(key);
    if (!pending) {
      pending = this.fetchToken().finally(() => tokenRequests.delete(key));
      tokenRequests.set(key, pending);
    }
    const fresh = await pending;
    tokenCache.set(key, fresh);
    return fresh.token;
  }

  /**
   * One API call; answers whatever PayPal answered (the caller decides what is an error). A 401
   * drops the cached token and retries once with a new one (PayPal may revoke tokens early).
   */
  async request(
    method: "GET" | "POST",
    path: string,
    options: { body?: unknown; rawBody?: string; requestId?: string } = {},
    what = `${method} ${path}`,
  ): Promise<PayPalResponse> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.accessToken();
      const headers: Record<string, string> = {
        authorization: `Bearer ${token}`,
        accept: "application/json",
      };
      let body: string | undefined;
      if (options.rawBody !== undefined || options.body !== undefined) {
        headers["content-type"] = "application/json";
        body = options.rawBody ?? JSON.stringify(options.body);
      }
      if (options.requestId) headers["paypal-request-id"] = options.requestId;
      const response = await send(
        `${this.credentials.baseUrl}${path}`,
        { method, headers, ...(body === undefined ? {} : { body }) },
        what,
      );
      if (response.status === 401 && attempt === 0) {
        await response.body?.cancel();
        if (tokenCache.get(this.cacheKey)?.token === token) tokenCache.delete(this.cacheKey);
        continue;
      }
      const parsed = await readBody(response);
      return {
        status: response.status,
        body: parsed,
        debugId: debugIdOf(parsed, response.headers),
      };
    }
  }

  /** Like request, but a non-2xx answer throws ApiError("provider_error"). */
  async call<T>(
    method: "GET" | "POST",
    path: string,
    options: { body?: unknown; requestId?: string } = {},
    what?: string,
  ): Promise<T> {
    const response = await this.request(method, path, options, what);
    if (response.status < 200 || response.status >= 300) {
      throw providerError(what ?? `${method} ${path}`, response);
    }
    return response.body as T;
  }
}

export function payPalClient(config: Config): PayPalClient | null {
  const credentials = paypalCredentials(config);
  return credentials ? new PayPalClient(credentials) : null;
}

// ---- the provider ----------------------------------------------------------------------------

const seg = encodeURIComponent;

function priceOf(plan: Plan, interval: Interval): number {
  return interval === "month" ? plan.priceMonth : plan.priceYear;
}

function requirePlanId(plan: Plan, interval: Interval): string {
  const id = paypalPlanId(plan, interval);
  if (!id) {
    throw new ApiError(
      "plan_not_available",
      `${plan.name} cannot be bought ${interval}ly through PayPal`,
    );
  }
  return id;
}

function requireProviderId(subscription: Subscription): string {
  if (!subscription.providerSubscriptionId) {
    throw new ApiError("conflict", "This subscription has no PayPal subscription yet");
  }
  return subscription.providerSubscriptionId;
}

/** PayPal limits a cancellation reason to 128 characters. */
const MAX_REASON = 128;

// PayPal has no proration and no schedules: a revised plan's price applies from the next
// billing cycle, once the buyer approves the revision when PayPal asks (the UPDATED event then
// reports it). So one revision serves an upgrade, a downgrade asked for ahead of the renewal
// (requested at once, it is in place before PayPal bills again) and calling a downgrade off (a
// revision back to the current plan).
async function revise(client: PayPalClient, subscription: Subscription, change: PlanChange) {
  const revised = await client.call<{ links?: Link[] }>(
    "POST",
    `/v1/billing/subscriptions/${seg(requireProviderId(subscription))}/revise`,
    {
      body: {
        plan_id: requirePlanId(change.plan, change.interval),
        ...(change.returnUrl
          ? {
              application_context: {
                return_url: change.returnUrl,
                cancel_url: change.returnUrl,
                shipping_preference: "NO_SHIPPING",
              },
            }
          : {}),
      },
    },
    "revise subscription",
  );
  const approvalUrl = approveLink(revised?.links);
  return approvalUrl ? { approvalUrl } : {};
}

export function createPayPalProvider(config: Config): BillingProvider | null {
  const client = payPalClient(config);
  if (!client) return null;

  return {
    name: "paypal",

    async createCheckout(request: CheckoutRequest): Promise<CheckoutResult> {
      const { plan, interval, coupon } = request;
      const cycles = coupon
        ? couponBillingCycles(priceOf(plan, interval), plan.currency, interval, coupon)
        : null;
      const created = await client.call<{ id?: string; links?: Link[] }>(
        "POST",
        "/v1/billing/subscriptions",
        {
          body: {
            plan_id: requirePlanId(plan, interval),
            custom_id: request.subscriptionId,
            subscriber: { email_address: request.user.email },
            application_context: {
              return_url: request.successUrl,
              cancel_url: request.cancelUrl,
              user_action: "SUBSCRIBE_NOW",
              // An API subscription ships nothing: do not ask the buyer for an address.
              shipping_preference: "NO_SHIPPING",
            },
            ...(cycles ? { plan: { billing_cycles: cycles } } : {}),
          },
          // Our id makes a retried checkout the same PayPal subscription, never a second one.
          requestId: request.subscriptionId,
        },
        "create subscription",
      );
      const checkoutUrl = approveLink(created?.links);
      if (!created?.id || !checkoutUrl) {
        throw new ApiError(
          "provider_error",
          "PayPal returned a subscription without an approval link",
        );
      }
      return { checkoutUrl, providerSubscriptionId: created.id };
    },

    changePlan: (subscription, change) => revise(client, subscription, change),
    scheduleChange: (subscription, change) => revise(client, subscription, change),
    unscheduleChange: (subscription, current) => revise(client, subscription, current),

    async cancel(subscription: Subscription, options: { atPeriodEnd: boolean; reason?: string }) {
      // PayPal cancels at once. At the period end tollgate keeps the subscription itself and
      // cancels it then (a call with atPeriodEnd false), so there is nothing to ask PayPal now.
      if (options.atPeriodEnd) return;
      const path = `/v1/billing/subscriptions/${seg(requireProviderId(subscription))}/cancel`;
      const response = await client.request(
        "POST",
        path,
        { body: { reason: (options.reason || "Canceled by the subscriber").slice(0, MAX_REASON) } },
        "cancel subscription",
      );
      if (response.status >= 200 && response.status < 300) return;
      // Already canceled or expired at PayPal: what was asked is already true.
      if (
        response.status === 422 &&
        errorIssues(response.body).includes("SUBSCRIPTION_STATUS_INVALID")
      ) {
        return;
      }
      throw providerError("cancel subscription", response);
    },

    async resume(_subscription: Subscription) {
      // Only tollgate's cancel-at-period-end flag was set (PayPal was never told): nothing to undo.
    },

    async refund(payment: Payment, amount: number, reason?: string) {
      if (!Number.isSafeInteger(amount) || amount <= 0) {
        throw new ApiError(
          "invalid_request",
          "A refund must be a positive whole number of minor units",
        );
      }
      const refund = await client.call<{ id?: string }>(
        "POST",
        `/v1/payments/sale/${seg(payment.providerPaymentId)}/refund`,
        {
          body: {
            // Payments v1 names the currency `currency` (v2 says `currency_code`).
            amount: {
              total: toPayPalValue(amount, payment.currency),
              currency: payment.currency.toUpperCase(),
            },
            ...(reason ? { description: reason.slice(0, 255) } : {}),
          },
        },
        "refund sale",
      );
      if (!refund?.id)
        throw new ApiError("provider_error", "PayPal returned a refund without an id");
      return { refundId: refund.id };
    },

    async fetchSubscription(providerSubscriptionId: string) {
      const resource = await client.call<PayPalSubscription>(
        "GET",
        `/v1/billing/subscriptions/${seg(providerSubscriptionId)}`,
        {},
        "show subscription",
      );
      try {
        return subscriptionState(resource);
      } catch (error) {
        throw new ApiError(
          "provider_error",
          String(error instanceof Error ? error.message : error),
        );
      }
    },
  };
}
