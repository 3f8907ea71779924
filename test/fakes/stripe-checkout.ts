// Checkout sessions for the fake Stripe API, the coupons their discounts name, and what Stripe
// does when the buyer completes a session.
import type { FakeSubscriptions } from "./stripe-subscriptions";
import {
  DAY_SECONDS,
  fakeId,
  invalid,
  type Json,
  list,
  metadataOf,
  missing,
  nowSeconds,
  num,
  obj,
  type Params,
  str,
} from "./stripe-wire";

export class FakeCheckout {
  readonly sessions = new Map<string, Json>();
  readonly coupons = new Map<string, Json>();

  constructor(
    private readonly customers: Map<string, Json>,
    private readonly subscriptions: FakeSubscriptions,
  ) {}

  /** POST /v1/checkout/sessions */
  createSession(params: Params): Json {
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

  /**
   * What Stripe does when the buyer finishes a checkout session: a subscription with the
   * session's price, metadata and trial. Returns the subscription and the completed session.
   */
  complete(
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
    const subscription = this.subscriptions.add({
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

  /** POST /v1/coupons */
  createCoupon(params: Params): Json {
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
}
