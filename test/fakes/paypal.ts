// An in-memory PayPal: the REST endpoints tollgate calls, served from a fetch spy for URLs under
// https://paypal.fake (every other URL goes to the real fetch). It checks credentials and tokens
// like PayPal does, records every call, and builds webhook events shaped like PayPal's.
import { type MockInstance, vi } from "vitest";
import { type FakeCapture, FakeOrders } from "./paypal-orders";

export const PAYPAL_BASE = "https://paypal.fake";
export const PAYPAL_CLIENT_ID = "paypal-client";
export const PAYPAL_CLIENT_SECRET = "paypal-secret";
export const PAYPAL_WEBHOOK_ID = "WH-TEST";

export interface RecordedCall {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** Parsed JSON (or the form fields of the token request); null without a body. */
  body: unknown;
}

interface Money {
  currency_code: string;
  value: string;
}

export interface FakeSubscription {
  id: string;
  plan_id: string;
  status: "APPROVAL_PENDING" | "APPROVED" | "ACTIVE" | "SUSPENDED" | "CANCELLED" | "EXPIRED";
  status_update_time: string;
  start_time: string;
  create_time: string;
  update_time: string;
  custom_id?: string;
  subscriber?: { email_address?: string; payer_id?: string };
  billing_info?: {
    next_billing_time?: string;
    last_payment?: { amount: Money; time: string };
    last_failed_payment?: { amount: Money; time: string };
    failed_payments_count: number;
  };
  /** The `plan` override sent at creation, as sent. */
  plan?: unknown;
  /** A revision waiting for the buyer's approval. */
  pending_plan_id?: string;
  cancel_reason?: string;
  links: { href: string; rel: string; method: string }[];
}

export interface FakeSale {
  id: string;
  total: string;
  currency: string;
  billingAgreementId: string | null;
  refunds: { id: string; total: string; description?: string }[];
}

export type PayPalEvent = {
  id: string;
  event_version: string;
  create_time: string;
  resource_type: string;
  event_type: string;
  summary: string;
  resource: Record<string, unknown>;
  links: unknown[];
};

const ALNUM = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789";

function randomCode(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return Array.from(bytes, (b) => ALNUM[b % ALNUM.length]).join("");
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(body === null ? null : JSON.stringify(body), {
    status,
    headers: body === null ? headers : { "content-type": "application/json", ...headers },
  });
}

/** PayPal's error body: name, message, debug_id, details[].issue. */
function problem(status: number, name: string, issue?: string): Response {
  const debugId = randomCode(13).toLowerCase();
  return json(
    status,
    {
      name,
      message: `${name} (fake)`,
      debug_id: debugId,
      ...(issue ? { details: [{ issue, description: issue }] } : {}),
    },
    { "paypal-debug-id": debugId },
  );
}

/** Integer minor units of a 2-decimal decimal string, for the fake's own bookkeeping. */
function cents(value: string): number {
  const [whole = "0", fraction = ""] = value.replace("-", "").split(".");
  return Number(whole) * 100 + Number(fraction.padEnd(2, "0").slice(0, 2));
}

export class FakePayPal {
  readonly calls: RecordedCall[] = [];
  readonly subscriptions = new Map<string, FakeSubscription>();
  readonly sales = new Map<string, FakeSale>();
  readonly orders = new FakeOrders(PAYPAL_BASE);
  /** How many access tokens were issued. */
  tokensIssued = 0;
  /** Lifetime of issued tokens, in seconds (PayPal: about 9 hours). */
  tokenLifetime = 32_400;
  /** The clock the fake stamps create/update times with. */
  now = "2026-03-01T10:00:00Z";

  private readonly tokens = new Set<string>();
  private readonly failingTransmissions = new Set<string>();
  private readonly byRequestId = new Map<string, string>();
  private readonly scripted: { method: string; path: string; response: () => Response }[] = [];
  private spy: MockInstance<typeof fetch> | null = null;

  /** Serves https://paypal.fake from a spy on globalThis.fetch. */
  install(): this {
    const realFetch = globalThis.fetch.bind(globalThis);
    this.spy = vi
      .spyOn(globalThis, "fetch")
      .mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
        const request = new Request(input, init);
        if (!request.url.startsWith(PAYPAL_BASE)) return realFetch(input, init);
        return this.handle(request);
      });
    return this;
  }

  restore(): void {
    this.spy?.mockRestore();
    this.spy = null;
  }

  /** verify-webhook-signature answers FAILURE for deliveries with this transmission id. */
  failVerificationFor(transmissionId: string): void {
    this.failingTransmissions.add(transmissionId);
  }

  /** The next call of this method and path answers `response` instead. */
  failNext(method: string, path: string, response: () => Response): void {
    this.scripted.push({ method, path, response });
  }

  /** PayPal revoked every token it gave out: the next call with one is a 401. */
  revokeTokens(): void {
    this.tokens.clear();
  }

  callsTo(method: string, path: string | RegExp): RecordedCall[] {
    return this.calls.filter(
      (c) =>
        c.method === method && (typeof path === "string" ? c.path === path : path.test(c.path)),
    );
  }

  subscription(id: string): FakeSubscription {
    const found = this.subscriptions.get(id);
    if (!found) throw new Error(`no fake PayPal subscription ${id}`);
    return found;
  }

  /** The buyer approved and the first cycle was paid: ACTIVE until the next billing time. */
  activate(
    id: string,
    at: string,
    next: string,
    lastPayment?: { value: string; currency_code: string },
  ): FakeSubscription {
    const sub = this.subscription(id);
    sub.status = "ACTIVE";
    sub.status_update_time = at;
    sub.update_time = at;
    sub.start_time = at;
    sub.subscriber = { ...sub.subscriber, payer_id: "PAYER123" };
    sub.billing_info = {
      failed_payments_count: 0,
      next_billing_time: next,
      ...(lastPayment ? { last_payment: { amount: lastPayment, time: at } } : {}),
    };
    return sub;
  }

  /** Changes a subscription as PayPal would report it from now on. */
  update(id: string, patch: Partial<FakeSubscription>): FakeSubscription {
    const sub = this.subscription(id);
    Object.assign(sub, patch);
    return sub;
  }

  addSale(
    id: string,
    total: string,
    currency: string,
    billingAgreementId: string | null,
  ): FakeSale {
    const sale = { id, total, currency, billingAgreementId, refunds: [] };
    this.sales.set(id, sale);
    return sale;
  }

  // ---- webhook events, shaped like PayPal's ----------------------------------------------------

  private event(
    type: string,
    resourceType: string,
    createTime: string,
    resource: Record<string, unknown>,
  ): PayPalEvent {
    return {
      id: `WH-${randomCode(17)}-${randomCode(17)}`,
      event_version: "1.0",
      create_time: createTime,
      resource_type: resourceType,
      event_type: type,
      summary: `${type} (fake)`,
      resource,
      links: [],
    };
  }

  /** A BILLING.SUBSCRIPTION.* event carrying the subscription as it is now (a snapshot). */
  subscriptionEvent(type: string, id: string, createTime: string): PayPalEvent {
    const {
      plan: _plan,
      pending_plan_id: _pending,
      cancel_reason: _reason,
      ...resource
    } = this.subscription(id);
    return this.event(type, "subscription", createTime, structuredClone(resource));
  }

  /** PAYMENT.SALE.COMPLETED for a subscription charge (also records the sale, for refunds). */
  saleCompletedEvent(
    saleId: string,
    subscriptionId: string,
    total: string,
    currency: string,
    createTime: string,
  ): PayPalEvent {
    this.addSale(saleId, total, currency, subscriptionId);
    return this.event("PAYMENT.SALE.COMPLETED", "sale", createTime, {
      id: saleId,
      state: "completed",
      amount: { total, currency, details: { subtotal: total } },
      payment_mode: "INSTANT_TRANSFER",
      protection_eligibility: "ELIGIBLE",
      transaction_fee: { value: "0.30", currency },
      billing_agreement_id: subscriptionId,
      custom: this.subscriptions.get(subscriptionId)?.custom_id,
      create_time: createTime,
      update_time: createTime,
      links: [
        { href: `${PAYPAL_BASE}/v1/payments/sale/${saleId}`, rel: "self", method: "GET" },
        { href: `${PAYPAL_BASE}/v1/payments/sale/${saleId}/refund`, rel: "refund", method: "POST" },
      ],
    });
  }

  /** PAYMENT.SALE.REFUNDED: the resource is the refund (this refund's amount and the sale's total). */
  refundEvent(
    saleId: string,
    amount: string,
    totalRefunded: string | null,
    currency: string,
    createTime: string,
  ): PayPalEvent {
    return this.event("PAYMENT.SALE.REFUNDED", "refund", createTime, {
      id: `R-${randomCode(17)}`,
      state: "completed",
      amount: { total: amount, currency },
      sale_id: saleId,
      parent_payment: `PAYID-${randomCode(24)}`,
      ...(totalRefunded === null
        ? {}
        : { total_refunded_amount: { value: totalRefunded, currency } }),
      create_time: createTime,
      update_time: createTime,
      links: [],
    });
  }

  /** PAYMENT.SALE.REVERSED: the sale itself, reversed (a chargeback), its amount negative. */
  reversedEvent(saleId: string, total: string, currency: string, createTime: string): PayPalEvent {
    return this.event("PAYMENT.SALE.REVERSED", "sale", createTime, {
      id: saleId,
      state: "reversed",
      amount: { total: `-${total}`, currency },
      reason_code: "CHARGEBACK",
      create_time: createTime,
      update_time: createTime,
      links: [],
    });
  }

  /** CHECKOUT.ORDER.APPROVED: the buyer approved the order (the order as it is now). */
  orderApprovedEvent(orderId: string, createTime: string): PayPalEvent {
    const order = structuredClone(this.orders.approve(orderId));
    return this.event("CHECKOUT.ORDER.APPROVED", "checkout-order", createTime, { ...order });
  }

  /** PAYMENT.CAPTURE.COMPLETED for a capture of an order. */
  captureCompletedEvent(capture: FakeCapture, createTime: string): PayPalEvent {
    const { refunds: _refunds, ...resource } = structuredClone(capture);
    return this.event("PAYMENT.CAPTURE.COMPLETED", "capture", createTime, resource);
  }

  // ---- the API -------------------------------------------------------------------------------

  /** Answers one request to https://paypal.fake (public so tests can route to two fakes). */
  async handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const path = url.pathname;
    // Decoded by hand: workerd warns when .text() reads a form body.
    const text = new TextDecoder().decode(await request.arrayBuffer());
    let body: unknown = null;
    if (text) {
      if (request.headers.get("content-type")?.includes("application/x-www-form-urlencoded")) {
        body = Object.fromEntries(new URLSearchParams(text));
      } else {
        try {
          body = JSON.parse(text);
        } catch {
          return problem(400, "MALFORMED_REQUEST_JSON");
        }
      }
    }
    const headers: Record<string, string> = {};
    request.headers.forEach((value, key) => {
      headers[key] = value;
    });
    this.calls.push({ method: request.method, path, headers, body });

    const scripted = this.scripted.findIndex((s) => s.method === request.method && s.path === path);
    if (scripted >= 0) {
      const [entry] = this.scripted.splice(scripted, 1);
      if (entry) return entry.response();
    }

    if (request.method === "POST" && path === "/v1/oauth2/token") return this.token(headers, body);

    const auth = headers.authorization ?? "";
    if (!auth.startsWith("Bearer ") || !this.tokens.has(auth.slice("Bearer ".length))) {
      return json(401, {
        error: "invalid_token",
        error_description: "Token signature verification failed",
      });
    }

    const b = (body ?? {}) as Record<string, unknown>;
    let m: RegExpExecArray | null;
    if (request.method === "POST" && path === "/v1/billing/subscriptions") {
      return this.createSubscription(headers, b);
    }
    m = /^\/v1\/billing\/subscriptions\/([^/]+)$/.exec(path);
    if (request.method === "GET" && m?.[1]) {
      const sub = this.subscriptions.get(decodeURIComponent(m[1]));
      if (!sub) return problem(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID");
      const { plan: _plan, pending_plan_id: _pending, cancel_reason: _reason, ...shown } = sub;
      return json(200, shown);
    }
    m = /^\/v1\/billing\/subscriptions\/([^/]+)\/(revise|cancel)$/.exec(path);
    if (request.method === "POST" && m?.[1]) {
      const sub = this.subscriptions.get(decodeURIComponent(m[1]));
      if (!sub) return problem(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID");
      return m[2] === "revise" ? this.revise(sub, b) : this.cancel(sub, b);
    }
    const orderAnswer = this.orders.route(request.method, path, b, headers["paypal-request-id"]);
    if (orderAnswer) return orderAnswer;
    m = /^\/v1\/payments\/sale\/([^/]+)\/refund$/.exec(path);
    if (request.method === "POST" && m?.[1]) return this.refund(decodeURIComponent(m[1]), b);
    if (request.method === "POST" && path === "/v1/notifications/verify-webhook-signature") {
      return this.verify(b);
    }
    return problem(404, "RESOURCE_NOT_FOUND");
  }

  private token(headers: Record<string, string>, body: unknown): Response {
    const expected = `Basic ${btoa(`${PAYPAL_CLIENT_ID}:${PAYPAL_CLIENT_SECRET}`)}`;
    if (headers.authorization !== expected) {
      return json(401, {
        error: "invalid_client",
        error_description: "Client Authentication failed",
      });
    }
    if ((body as Record<string, string> | null)?.grant_type !== "client_credentials") {
      return json(400, {
        error: "unsupported_grant_type",
        error_description: "Grant type is not supported",
      });
    }
    this.tokensIssued += 1;
    const token = `A21AA-fake-${this.tokensIssued}-${randomCode(8)}`;
    this.tokens.add(token);
    return json(200, {
      scope: "https://uri.paypal.com/services/subscriptions",
      access_token: token,
      token_type: "Bearer",
      app_id: "APP-80W284485P519543T",
      expires_in: this.tokenLifetime,
      nonce: randomCode(12),
    });
  }

  private createSubscription(
    headers: Record<string, string>,
    b: Record<string, unknown>,
  ): Response {
    const requestId = headers["paypal-request-id"];
    const earlier = requestId ? this.byRequestId.get(requestId) : undefined;
    if (earlier) return json(200, this.created(this.subscription(earlier)));
    const context = b.application_context as Record<string, unknown> | undefined;
    if (typeof b.plan_id !== "string" || !b.plan_id.startsWith("P-")) {
      return problem(422, "UNPROCESSABLE_ENTITY", "INVALID_PLAN_ID");
    }
    if (typeof context?.return_url !== "string" || typeof context.cancel_url !== "string") {
      return problem(400, "INVALID_REQUEST", "MISSING_REQUIRED_PARAMETER");
    }
    const id = `I-${randomCode(12)}`;
    const sub: FakeSubscription = {
      id,
      plan_id: b.plan_id,
      status: "APPROVAL_PENDING",
      status_update_time: this.now,
      start_time: this.now,
      create_time: this.now,
      update_time: this.now,
      ...(typeof b.custom_id === "string" ? { custom_id: b.custom_id } : {}),
      subscriber: (b.subscriber as FakeSubscription["subscriber"]) ?? {},
      ...(b.plan === undefined ? {} : { plan: b.plan }),
      links: [
        {
          href: `https://www.paypal.fake/webapps/billing/subscriptions?ba_token=BA-${randomCode(17)}`,
          rel: "approve",
          method: "GET",
        },
        { href: `${PAYPAL_BASE}/v1/billing/subscriptions/${id}`, rel: "edit", method: "PATCH" },
        { href: `${PAYPAL_BASE}/v1/billing/subscriptions/${id}`, rel: "self", method: "GET" },
      ],
    };
    this.subscriptions.set(id, sub);
    if (requestId) this.byRequestId.set(requestId, id);
    return json(201, this.created(sub));
  }

  private created(sub: FakeSubscription) {
    return {
      id: sub.id,
      status: sub.status,
      status_update_time: sub.status_update_time,
      plan_id: sub.plan_id,
      plan_overridden: sub.plan !== undefined,
      start_time: sub.start_time,
      quantity: "1",
      create_time: sub.create_time,
      links: sub.links,
    };
  }

  private revise(sub: FakeSubscription, b: Record<string, unknown>): Response {
    if (typeof b.plan_id !== "string" || !b.plan_id.startsWith("P-")) {
      return problem(422, "UNPROCESSABLE_ENTITY", "INVALID_PLAN_ID");
    }
    if (sub.status !== "ACTIVE" && sub.status !== "SUSPENDED") {
      return problem(422, "UNPROCESSABLE_ENTITY", "SUBSCRIPTION_STATUS_INVALID");
    }
    sub.pending_plan_id = b.plan_id;
    return json(200, {
      plan_id: b.plan_id,
      effective_time: this.now,
      plan_overridden: false,
      links: [
        {
          href: `https://www.paypal.fake/webapps/billing/subscriptions/update?ba_token=BA-${randomCode(17)}`,
          rel: "approve",
          method: "GET",
        },
        { href: `${PAYPAL_BASE}/v1/billing/subscriptions/${sub.id}`, rel: "edit", method: "PATCH" },
      ],
    });
  }

  private cancel(sub: FakeSubscription, b: Record<string, unknown>): Response {
    if (typeof b.reason !== "string" || b.reason.length === 0 || b.reason.length > 128) {
      return problem(400, "INVALID_REQUEST", "INVALID_PARAMETER_VALUE");
    }
    if (sub.status !== "ACTIVE" && sub.status !== "SUSPENDED") {
      return problem(422, "UNPROCESSABLE_ENTITY", "SUBSCRIPTION_STATUS_INVALID");
    }
    sub.status = "CANCELLED";
    sub.status_update_time = this.now;
    sub.update_time = this.now;
    sub.cancel_reason = b.reason;
    return json(204, null);
  }

  private refund(saleId: string, b: Record<string, unknown>): Response {
    const sale = this.sales.get(saleId);
    if (!sale) return problem(404, "INVALID_RESOURCE_ID", "INVALID_RESOURCE_ID");
    const amount = b.amount as { total?: unknown; currency?: unknown } | undefined;
    const total = typeof amount?.total === "string" ? amount.total : sale.total;
    if (amount && (amount.currency !== sale.currency || !/^\d+\.\d{2}$/.test(total))) {
      return problem(400, "VALIDATION_ERROR", "INVALID_AMOUNT");
    }
    const refunded = sale.refunds.reduce((sum, r) => sum + cents(r.total), 0);
    if (refunded + cents(total) > cents(sale.total)) {
      return problem(400, "REFUND_EXCEEDED_TRANSACTION_AMOUNT");
    }
    const id = `R-${randomCode(17)}`;
    sale.refunds.push({
      id,
      total,
      ...(typeof b.description === "string" ? { description: b.description } : {}),
    });
    const totalRefunded = refunded + cents(total);
    return json(201, {
      id,
      state: "completed",
      amount: { total, currency: sale.currency },
      sale_id: saleId,
      total_refunded_amount: {
        value: `${Math.floor(totalRefunded / 100)}.${String(totalRefunded % 100).padStart(2, "0")}`,
        currency: sale.currency,
      },
      create_time: this.now,
      update_time: this.now,
      links: [],
    });
  }

  private verify(b: Record<string, unknown>): Response {
    const required = [
      "auth_algo",
      "cert_url",
      "transmission_id",
      "transmission_sig",
      "transmission_time",
    ];
    for (const field of required) {
      if (typeof b[field] !== "string" || b[field] === "") {
        return problem(400, "VALIDATION_ERROR", "MISSING_REQUIRED_PARAMETER");
      }
    }
    const event = b.webhook_event as Record<string, unknown> | undefined;
    const genuine =
      b.webhook_id === PAYPAL_WEBHOOK_ID &&
      typeof event?.id === "string" &&
      !this.failingTransmissions.has(b.transmission_id as string);
    return json(200, { verification_status: genuine ? "SUCCESS" : "FAILURE" });
  }
}
