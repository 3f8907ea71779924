// An in-memory Stripe API for tests: the endpoints tollgate calls, behind `fetch` requests to
// https://stripe.fake (STRIPE_API_BASE_URL in the test config). Anything else passes through.
// One entry point, installFakeStripe(); each API area lives in its own module (customers,
// checkout and coupons, subscriptions and their schedules, refunds), as do the builders of the
// objects Stripe's events carry (invoices, charges) and of signed webhook deliveries.
import { type MockInstance, vi } from "vitest";
import { FakeCheckout } from "./stripe-checkout";
import { FakeCustomers } from "./stripe-customers";
import { FakePayments } from "./stripe-payments";
import { FakeRefunds } from "./stripe-refunds";
import { FakeSubscriptions, type SubscriptionInput } from "./stripe-subscriptions";
import {
  type Json,
  json,
  missingRoute,
  type Params,
  parseForm,
  type RecordedRequest,
  StripeApiError,
  str,
} from "./stripe-wire";

export { FAKE_WEBHOOK_SECRET, signedDelivery, stripeEvent } from "./stripe-events";
export { type InvoiceInput, invoiceObject } from "./stripe-invoices";
export { chargeObject } from "./stripe-refunds";
export { type SubscriptionInput, subscriptionObject } from "./stripe-subscriptions";
export type { Params, ParamValue, RecordedRequest } from "./stripe-wire";

export const FAKE_STRIPE_BASE = "https://stripe.fake";
export const FAKE_STRIPE_KEY = "sk_test_fake";

export class FakeStripe {
  readonly requests: RecordedRequest[] = [];
  private readonly customerApi = new FakeCustomers();
  private readonly subscriptionApi = new FakeSubscriptions();
  private readonly checkoutApi = new FakeCheckout(this.customerApi.customers, this.subscriptionApi);
  private readonly refundApi = new FakeRefunds();
  private readonly paymentApi = new FakePayments(
    this.customerApi.customers,
    this.checkoutApi.sessions,
    this.refundApi,
  );
  readonly customers = this.customerApi.customers;
  readonly portalSessions = this.customerApi.portalSessions;
  readonly sessions = this.checkoutApi.sessions;
  readonly coupons = this.checkoutApi.coupons;
  readonly subscriptions = this.subscriptionApi.subscriptions;
  readonly schedules = this.subscriptionApi.schedules;
  readonly charges = this.refundApi.charges;
  readonly refunds = this.refundApi.refunds;
  readonly paymentIntents = this.paymentApi.intents;
  readonly savedCards = this.paymentApi.cards;
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
    this.refundApi.addCharge(charge);
  }

  /** What Stripe does at the period end: the next period, on a scheduled phase's price. */
  renewSubscription(id: string, periodEnd?: number): Json {
    return this.subscriptionApi.renew(id, periodEnd);
  }

  addSubscription(input: SubscriptionInput): Json {
    return this.subscriptionApi.add(input);
  }

  /**
   * What Stripe does when the buyer finishes a checkout session: a subscription with the
   * session's price, metadata and trial. Returns the subscription and the completed session.
   */
  completeCheckout(
    sessionId: string,
    options: { status?: string } = {},
  ): { subscription: Json; session: Json } {
    return this.checkoutApi.complete(sessionId, options);
  }

  /** What Stripe does when the buyer pays a `payment` session: answers the completed session. */
  completePayment(sessionId: string): Json {
    return this.paymentApi.complete(sessionId);
  }

  /** The next off-session PaymentIntent is declined (card_declined). */
  declineNextCharge(): void {
    this.paymentApi.declineNext();
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
    const [version, resource, id, ...rest] = path.split("/").filter(Boolean);
    if (version !== "v1") throw missingRoute(method, path);
    const single = rest.length === 0;
    if (method === "POST" && resource === "customers" && !id) {
      return this.customerApi.create(params);
    }
    if (method === "POST" && resource === "checkout" && id === "sessions" && single) {
      return str(params.mode) === "payment"
        ? this.paymentApi.createSession(params)
        : this.checkoutApi.createSession(params);
    }
    if (method === "POST" && resource === "payment_intents" && !id) {
      return this.paymentApi.createIntent(params);
    }
    if (method === "GET" && resource === "payment_methods" && !id) {
      return this.paymentApi.listCards(params);
    }
    if (resource === "subscriptions" && id && single) {
      const answer = this.subscriptionApi.route(method, id, params);
      if (answer) return answer;
    }
    if (resource === "subscription_schedules") {
      return this.schedules.route(method, id, rest, params);
    }
    if (method === "POST" && resource === "coupons" && !id) {
      return this.checkoutApi.createCoupon(params);
    }
    if (method === "POST" && resource === "refunds" && !id) return this.refundApi.create(params);
    if (method === "POST" && resource === "billing_portal" && id === "sessions" && single) {
      return this.customerApi.createPortalSession(params);
    }
    throw missingRoute(method, path);
  }
}

/** A fresh fake Stripe, routed to from fetch until mocks are restored. */
export function installFakeStripe(): FakeStripe {
  return new FakeStripe().install();
}
