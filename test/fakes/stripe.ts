// An in-memory Stripe API for tests: the endpoints tollgate calls, behind `fetch` requests to
// https://stripe.fake (STRIPE_API_BASE_URL in the test config). Anything else passes through.
// Plus builders for Stripe objects and signed webhook deliveries (the SDK signs offline).
import Stripe from "stripe";
import { type MockInstance, vi } from "vitest";
import { FakeSchedules } from "./stripe-schedules";

export const FAKE_STRIPE_BASE = "https://stripe.fake";
export const FAKE_STRIPE_KEY = "sk_test_fake";
export const FAKE_WEBHOOK_SECRET = "whsec_test_fake";

type Json = Record<string, unknown>;
// Form-encoded parameters as the SDK sends them: strings, nested objects and arrays.
export type Params = { [key: string]: ParamValue };
export type ParamValue = string | Params | ParamValue[];

export interface RecordedRequest {
  method: string;
  path: string;
  params: Params;
  idempotencyKey: string | null;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
const DAY_SECONDS = 86_400;

/** `a[b][0][c]=v` pairs into nested objects; objects keyed 0..n become arrays. */
export function parseForm(body: string): Params {
  const root: Params = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const path = key.split(/\[|\]\[|\]/).filter((part) => part !== "");
    let node: Params = root;
    path.forEach((part, i) => {
      if (i === path.length - 1) {
        node[part] = value;
      } else {
        node[part] ??= {};
        node = node[part] as Params;
      }
    });
  }
  const arrays = (value: ParamValue): ParamValue => {
    if (typeof value === "string" || Array.isArray(value)) return value;
    const keys = Object.keys(value);
    const converted: Params = {};
    for (const k of keys) converted[k] = arrays(value[k] as ParamValue);
    if (keys.length > 0 && keys.every((k, i) => k === String(i))) {
      return keys.map((k) => converted[k] as ParamValue);
    }
    return converted;
  };
  return arrays(root) as Params;
}

export const str = (value: ParamValue | undefined): string | undefined =>
  typeof value === "string" ? value : undefined;
export const obj = (value: ParamValue | undefined): Params =>
  value && typeof value === "object" && !Array.isArray(value) ? value : {};
export const list = (value: ParamValue | undefined): ParamValue[] =>
  Array.isArray(value) ? value : [];
export const num = (value: ParamValue | undefined): number | undefined => {
  const s = str(value);
  return s === undefined || s === "" ? undefined : Number(s);
};
export const metadataOf = (value: ParamValue | undefined): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj(value))) if (typeof v === "string") out[k] = v;
  return out;
};

class StripeApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: { type: string; code?: string; message: string; param?: string },
  ) {
    super(body.message);
  }
}

export const missing = (what: string, id: string, param?: string) =>
  new StripeApiError(404, {
    type: "invalid_request_error",
    code: "resource_missing",
    message: `No such ${what}: '${id}'`,
    ...(param ? { param } : {}),
  });

export const invalid = (message: string, param?: string, code = "parameter_invalid") =>
  new StripeApiError(400, {
    type: "invalid_request_error",
    code,
    message,
    ...(param ? { param } : {}),
  });

// ── Stripe object builders (the shape of API version 2025+: periods on the items) ──────────

export interface SubscriptionInput {
  id?: string;
  customer: string;
  price: string;
  status?: string;
  metadata?: Record<string, string>;
  /** Seconds. */
  periodStart?: number;
  periodEnd?: number;
  trialEnd?: number | null;
  cancelAtPeriodEnd?: boolean;
  canceledAt?: number | null;
  created?: number;
}

let sequence = 0;
export const fakeId = (prefix: string) =>
  `${prefix}_fake${(++sequence).toString(36).padStart(6, "0")}${crypto.randomUUID().slice(0, 6)}`;

export function subscriptionObject(input: SubscriptionInput): Json {
  const id = input.id ?? fakeId("sub");
  const start = input.periodStart ?? nowSeconds();
  const end = input.periodEnd ?? start + 30 * DAY_SECONDS;
  return {
    id,
    object: "subscription",
    customer: input.customer,
    status: input.status ?? "active",
    metadata: input.metadata ?? {},
    cancel_at: null,
    cancel_at_period_end: input.cancelAtPeriodEnd ?? false,
    canceled_at: input.canceledAt ?? null,
    schedule: null,
    ended_at: null,
    created: input.created ?? start,
    trial_end: input.trialEnd ?? null,
    items: {
      object: "list",
      data: [
        {
          id: `si_${id.slice(4)}`,
          object: "subscription_item",
          subscription: id,
          price: { id: input.price, object: "price" },
          quantity: 1,
          current_period_start: start,
          current_period_end: end,
        },
      ],
      has_more: false,
    },
  };
}

export interface InvoiceInput {
  id?: string;
  customer: string;
  subscription: string | null;
  /** The subscription's metadata snapshot, as Stripe copies it onto the invoice. */
  subscriptionMetadata?: Record<string, string>;
  amount: number;
  currency?: string;
  paid?: boolean;
  charge?: string | null;
  /** Seconds. */
  periodStart?: number;
  periodEnd?: number;
  attempt?: number;
}

export function invoiceObject(input: InvoiceInput): Json {
  const id = input.id ?? fakeId("in");
  const start = input.periodStart ?? nowSeconds();
  const end = input.periodEnd ?? start + 30 * DAY_SECONDS;
  const paid = input.paid ?? true;
  return {
    id,
    object: "invoice",
    customer: input.customer,
    currency: input.currency ?? "usd",
    status: paid ? "paid" : "open",
    amount_due: input.amount,
    amount_paid: paid ? input.amount : 0,
    amount_remaining: paid ? 0 : input.amount,
    attempt_count: input.attempt ?? 1,
    billing_reason: "subscription_cycle",
    hosted_invoice_url: `https://invoice.stripe.fake/i/${id}`,
    // Invoices are created at the start of the period they bill; the line has the period.
    period_start: start,
    period_end: start,
    parent: input.subscription
      ? {
          type: "subscription_details",
          subscription_details: {
            subscription: input.subscription,
            metadata: input.subscriptionMetadata ?? {},
          },
        }
      : null,
    lines: {
      object: "list",
      data: [{ id: `il_${id.slice(3)}`, amount: input.amount, period: { start, end } }],
    },
    payments: {
      object: "list",
      data:
        input.charge === null
          ? []
          : [
              {
                id: `inpay_${id.slice(3)}`,
                object: "invoice_payment",
                payment: { type: "charge", charge: input.charge ?? `ch_${id.slice(3)}` },
                status: paid ? "paid" : "open",
              },
            ],
    },
    last_finalization_error: null,
  };
}

export function chargeObject(input: {
  id: string;
  amount: number;
  amountRefunded: number;
  currency?: string;
  paymentIntent?: string | null;
}): Json {
  return {
    id: input.id,
    object: "charge",
    amount: input.amount,
    amount_refunded: input.amountRefunded,
    refunded: input.amountRefunded >= input.amount,
    currency: input.currency ?? "usd",
    payment_intent: input.paymentIntent ?? null,
    status: "succeeded",
  };
}

export interface StripeEventOptions {
  id?: string;
  /** Seconds. */
  created?: number;
}

export function stripeEvent(type: string, object: Json, options: StripeEventOptions = {}): Json {
  return {
    id: options.id ?? fakeId("evt"),
    object: "event",
    api_version: Stripe.API_VERSION,
    created: options.created ?? nowSeconds(),
    type,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object },
  };
}

/** A webhook delivery signed as Stripe signs it. */
export async function signedDelivery(
  event: Json | string,
  options: { secret?: string; timestamp?: number } = {},
): Promise<{ body: string; headers: Record<string, string> }> {
  const body = typeof event === "string" ? event : JSON.stringify(event);
  const signature = await Stripe.webhooks.generateTestHeaderStringAsync({
    payload: body,
    secret: options.secret ?? FAKE_WEBHOOK_SECRET,
    ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }),
    cryptoProvider: Stripe.createSubtleCryptoProvider(),
  });
  return {
    body,
    headers: { "content-type": "application/json", "stripe-signature": signature },
  };
}

// ── The fake API ─────────────────────────────────────────────────────────────────────────

interface FakeCharge {
  id: string;
  amount: number;
  amount_refunded: number;
  payment_intent: string | null;
}

export class FakeStripe {
  readonly requests: RecordedRequest[] = [];
  readonly customers = new Map<string, Json>();
  readonly sessions = new Map<string, Json>();
  readonly subscriptions = new Map<string, Json>();
  readonly coupons = new Map<string, Json>();
  readonly refunds = new Map<string, Json>();
  readonly portalSessions = new Map<string, Json>();
  readonly charges = new Map<string, FakeCharge>();
  readonly schedules = new FakeSchedules(this.subscriptions);
  private readonly idempotent = new Map<string, { status: number; body: unknown }>();
  private failures: Array<{ method: string; path: string; error: StripeApiError }> = [];
  spy: MockInstance<typeof fetch> | null = null;

  /** Routes fetch calls to https://stripe.fake here until the spy is restored. */
  install(): this {
    const original = globalThis.fetch;
    this.spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const request = new Request(input, init);
      if (request.url.startsWith(FAKE_STRIPE_BASE)) return this.handle(request);
      return original(input, init);
    });
    return this;
  }

  /** The next matching request fails with this Stripe error. */
  failNext(
    method: string,
    path: string,
    status: number,
    error: { type?: string; code?: string; message?: string },
  ): void {
    this.failures.push({
      method,
      path,
      error: new StripeApiError(status, {
        type: error.type ?? "invalid_request_error",
        message: error.message ?? "failed by the test",
        ...(error.code ? { code: error.code } : {}),
      }),
    });
  }

  /** Requests made to one endpoint, e.g. calls("POST", "/v1/refunds"). */
  calls(method: string, path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && r.path === path);
  }

  addCharge(charge: { id: string; amount: number; paymentIntent?: string }): void {
    this.charges.set(charge.id, {
      id: charge.id,
      amount: charge.amount,
      amount_refunded: 0,
      payment_intent: charge.paymentIntent ?? null,
    });
  }

  /** What Stripe does at the period end: the next period, on a scheduled phase's price. */
  renewSubscription(id: string, periodEnd?: number): Json {
    const subscription = this.subscriptions.get(id);
    if (!subscription) throw new Error(`no fake subscription ${id}`);
    return this.schedules.renew(subscription, periodEnd);
  }

  addSubscription(input: SubscriptionInput): Json {
    const subscription = subscriptionObject(input);
    this.subscriptions.set(subscription.id as string, subscription);
    return subscription;
  }

  /**
   * What Stripe does when the buyer finishes a checkout session: a subscription with the
   * session's price, metadata and trial. Returns the subscription and the completed session.
   */
  completeCheckout(
    sessionId: string,
    options: { status?: string } = {},
  ): { subscription: Json; session: Json } {
    const session = this.sessions.get(sessionId);
    if (!session) throw new Error(`no fake checkout session ${sessionId}`);
    const data = session.subscription_data as {
      metadata: Record<string, string>;
      trial_period_days?: number;
    };
    const price = (session.line_items as Array<{ price: string }>)[0]?.price as string;
    const start = nowSeconds();
    const trialEnd = data.trial_period_days ? start + data.trial_period_days * DAY_SECONDS : null;
    const subscription = this.addSubscription({
      customer: session.customer as string,
      price,
      status: options.status ?? (trialEnd ? "trialing" : "active"),
      metadata: data.metadata,
      periodStart: start,
      periodEnd: trialEnd ?? start + 30 * DAY_SECONDS,
      trialEnd,
    });
    const completed = {
      ...session,
      status: "complete",
      payment_status: trialEnd ? "no_payment_required" : "paid",
      subscription: subscription.id,
    };
    this.sessions.set(sessionId, completed);
    return { subscription, session: completed };
  }

  async handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const method = request.method;
    const path = url.pathname;
    // GET and DELETE carry their parameters in the query, the others in a form body.
    const params = parseForm(
      `${url.search.slice(1)}&${new TextDecoder().decode(await request.arrayBuffer())}`,
    );
    const idempotencyKey = request.headers.get("idempotency-key");
    this.requests.push({ method, path, params, idempotencyKey });
    if (request.headers.get("authorization") !== `Bearer ${FAKE_STRIPE_KEY}`) {
      return json(401, {
        error: { type: "invalid_request_error", message: "Invalid API Key provided" },
      });
    }
    const stored = idempotencyKey && this.idempotent.get(`${method} ${path} ${idempotencyKey}`);
    if (stored) return json(stored.status, stored.body);
    let status = 200;
    let body: unknown;
    try {
      const failure = this.failures.findIndex((f) => f.method === method && f.path === path);
      if (failure >= 0) {
        const [entry] = this.failures.splice(failure, 1);
        throw entry?.error;
      }
      body = this.route(method, path, params);
    } catch (error) {
      if (!(error instanceof StripeApiError)) throw error;
      status = error.status;
      body = { error: error.body };
    }
    if (idempotencyKey)
      this.idempotent.set(`${method} ${path} ${idempotencyKey}`, { status, body });
    return json(status, body);
  }

  private route(method: string, path: string, params: Params): unknown {
    const parts = path.split("/").filter(Boolean);
    const [version, resource, id, ...rest] = parts;
    if (version !== "v1") throw missingRoute(method, path);
    if (method === "POST" && resource === "customers" && !id) return this.createCustomer(params);
    if (method === "POST" && resource === "checkout" && id === "sessions" && rest.length === 0) {
      return this.createSession(params);
    }
    if (resource === "subscriptions" && id && rest.length === 0) {
      const subscription = this.subscriptions.get(id);
      if (!subscription) throw missing("subscription", id, "id");
      if (method === "GET") return subscription;
      if (method === "POST") return this.updateSubscription(subscription, params);
      if (method === "DELETE") return this.cancelSubscription(subscription, params);
    }
    if (resource === "subscription_schedules")
      return this.schedules.route(method, id, rest, params);
    if (method === "POST" && resource === "coupons" && !id) return this.createCoupon(params);
    if (method === "POST" && resource === "refunds" && !id) return this.createRefund(params);
    if (
      method === "POST" &&
      resource === "billing_portal" &&
      id === "sessions" &&
      rest.length === 0
    ) {
      return this.createPortalSession(params);
    }
    throw missingRoute(method, path);
  }

  private createCustomer(params: Params): Json {
    const customer = {
      id: fakeId("cus"),
      object: "customer",
      email: str(params.email) ?? null,
      metadata: metadataOf(params.metadata),
      created: nowSeconds(),
    };
    this.customers.set(customer.id, customer);
    return customer;
  }

  private createSession(params: Params): Json {
    if (str(params.mode) !== "subscription") throw invalid("mode must be subscription", "mode");
    const successUrl = str(params.success_url);
    if (!successUrl) throw invalid("Missing required param: success_url.", "success_url");
    const customer = str(params.customer);
    if (customer && !this.customers.has(customer)) throw missing("customer", customer, "customer");
    const lineItems = list(params.line_items).map((item) => {
      const price = str(obj(item).price);
      if (!price) throw invalid("Missing required param: line_items[0][price].", "line_items");
      return { price, quantity: num(obj(item).quantity) ?? 1 };
    });
    if (lineItems.length === 0) throw invalid("Missing required param: line_items.", "line_items");
    const discounts = list(params.discounts).map((d) => {
      const coupon = str(obj(d).coupon) ?? "";
      if (!this.coupons.has(coupon)) throw missing("coupon", coupon, "discounts");
      return { coupon };
    });
    const subscriptionData = obj(params.subscription_data);
    const trial = num(subscriptionData.trial_period_days);
    const id = fakeId("cs");
    const session = {
      id,
      object: "checkout.session",
      mode: "subscription",
      status: "open",
      url: `https://checkout.stripe.fake/c/pay/${id}`,
      customer: customer ?? null,
      client_reference_id: str(params.client_reference_id) ?? null,
      success_url: successUrl,
      cancel_url: str(params.cancel_url) ?? null,
      metadata: metadataOf(params.metadata),
      line_items: lineItems,
      discounts,
      subscription_data: {
        metadata: metadataOf(subscriptionData.metadata),
        ...(trial === undefined ? {} : { trial_period_days: trial }),
      },
      subscription: null,
    };
    this.sessions.set(id, session);
    return session;
  }

  private updateSubscription(subscription: Json, params: Params): Json {
    const items = (subscription.items as { data: Array<Json> }).data;
    for (const change of list(params.items)) {
      const itemId = str(obj(change).id);
      const item = items.find((i) => i.id === itemId);
      if (!item) throw missing("subscription item", itemId ?? "", "items");
      const price = str(obj(change).price);
      if (price) item.price = { id: price, object: "price" };
    }
    const cancel = str(params.cancel_at_period_end);
    if (cancel !== undefined && subscription.schedule) {
      throw invalid(
        `The subscription is managed by the subscription schedule \`${String(subscription.schedule)}\`, and updating any cancelation behavior directly is not allowed. Please update the schedule instead.`,
      );
    }
    if (cancel !== undefined) subscription.cancel_at_period_end = cancel === "true";
    const proration = str(params.proration_behavior);
    if (proration) subscription.last_proration_behavior = proration;
    if (params.metadata) {
      subscription.metadata = {
        ...(subscription.metadata as Record<string, string>),
        ...metadataOf(params.metadata),
      };
    }
    if (params.cancellation_details) {
      subscription.cancellation_details = metadataOf(params.cancellation_details);
    }
    return subscription;
  }

  private cancelSubscription(subscription: Json, params: Params): Json {
    if (subscription.status === "canceled") {
      throw invalid("This subscription is already canceled.", undefined, "resource_missing");
    }
    subscription.status = "canceled";
    subscription.canceled_at = nowSeconds();
    subscription.ended_at = nowSeconds();
    // Its schedule ends with it.
    const schedule = this.schedules.byId.get(String(subscription.schedule));
    if (schedule) schedule.status = "canceled";
    if (params.cancellation_details) {
      subscription.cancellation_details = metadataOf(params.cancellation_details);
    }
    return subscription;
  }

  private createCoupon(params: Params): Json {
    const id = str(params.id) ?? fakeId("cpn");
    if (this.coupons.has(id)) {
      throw invalid("Coupon already exists.", "id", "resource_already_exists");
    }
    const duration = str(params.duration);
    if (!duration || !["once", "repeating", "forever"].includes(duration)) {
      throw invalid("Invalid duration", "duration");
    }
    const percentOff = num(params.percent_off);
    const amountOff = num(params.amount_off);
    if ((percentOff === undefined) === (amountOff === undefined)) {
      throw invalid("Exactly one of percent_off or amount_off is required.");
    }
    if (amountOff !== undefined && !str(params.currency)) {
      throw invalid("currency is required with amount_off", "currency");
    }
    const months = num(params.duration_in_months);
    if ((duration === "repeating") !== (months !== undefined)) {
      throw invalid(
        "duration_in_months goes with repeating and only with it",
        "duration_in_months",
      );
    }
    const coupon = {
      id,
      object: "coupon",
      name: str(params.name) ?? null,
      duration,
      duration_in_months: months ?? null,
      percent_off: percentOff ?? null,
      amount_off: amountOff ?? null,
      currency: str(params.currency) ?? null,
      metadata: metadataOf(params.metadata),
    };
    this.coupons.set(id, coupon);
    return coupon;
  }

  private createRefund(params: Params): Json {
    const chargeId = str(params.charge);
    const intent = str(params.payment_intent);
    const charge = chargeId
      ? this.charges.get(chargeId)
      : [...this.charges.values()].find((c) => intent && c.payment_intent === intent);
    if (!charge) throw missing(chargeId ? "charge" : "payment_intent", chargeId ?? intent ?? "");
    const amount = num(params.amount) ?? charge.amount - charge.amount_refunded;
    if (amount <= 0 || amount > charge.amount - charge.amount_refunded) {
      throw invalid(
        `Refund amount (${amount}) is greater than unrefunded amount on charge`,
        "amount",
        "amount_too_large",
      );
    }
    charge.amount_refunded += amount;
    const refund = {
      id: fakeId("re"),
      object: "refund",
      amount,
      charge: charge.id,
      payment_intent: charge.payment_intent,
      status: "succeeded",
      metadata: metadataOf(params.metadata),
      created: nowSeconds(),
    };
    this.refunds.set(refund.id, refund);
    return refund;
  }

  private createPortalSession(params: Params): Json {
    const customer = str(params.customer) ?? "";
    if (!this.customers.has(customer)) throw missing("customer", customer, "customer");
    const id = fakeId("bps");
    const session = {
      id,
      object: "billing_portal.session",
      customer,
      return_url: str(params.return_url) ?? null,
      url: `https://billing.stripe.fake/p/session/${id}`,
    };
    this.portalSessions.set(id, session);
    return session;
  }
}

const missingRoute = (method: string, path: string) =>
  new StripeApiError(404, {
    type: "invalid_request_error",
    message: `Unrecognized request URL (${method}: ${path}).`,
  });

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", "request-id": `req_${crypto.randomUUID()}` },
  });
}

/** A fresh fake Stripe, routed to from fetch until mocks are restored. */
export function installFakeStripe(): FakeStripe {
  return new FakeStripe().install();
}
