// One-off payments for the fake Stripe API: Checkout Sessions in `payment` mode (wallet top-ups),
// what Stripe does when the buyer pays one (a PaymentIntent, its charge, the customer, the card
// saved for later when asked), saved cards, and off-session PaymentIntents (auto-recharge).
import type { FakeRefunds } from "./stripe-refunds";
import {
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
  StripeApiError,
  str,
} from "./stripe-wire";

export class FakePayments {
  readonly intents = new Map<string, Json>();
  /** Saved cards per customer. */
  readonly cards = new Map<string, string[]>();
  private declines = 0;

  constructor(
    private readonly customers: Map<string, Json>,
    private readonly sessions: Map<string, Json>,
    private readonly refunds: FakeRefunds,
  ) {}

  /** The next off-session confirmation is declined, as a card can be. */
  declineNext(): void {
    this.declines++;
  }

  /** POST /v1/checkout/sessions with mode=payment */
  createSession(params: Params): Json {
    const successUrl = str(params.success_url);
    if (!successUrl) throw invalid("Missing required param: success_url.", "success_url");
    const customer = str(params.customer);
    if (customer && !this.customers.has(customer)) throw missing("customer", customer, "customer");
    if (customer && str(params.customer_creation)) {
      throw invalid("customer_creation cannot be used with customer", "customer_creation");
    }
    const item = obj(list(params.line_items)[0]);
    const priceData = obj(item.price_data);
    const amount = num(priceData.unit_amount);
    const currency = str(priceData.currency);
    if (!amount || !currency)
      throw invalid("line_items[0][price_data] is incomplete", "line_items");
    const intentData = obj(params.payment_intent_data);
    const id = fakeId("cs");
    const session = {
      id,
      object: "checkout.session",
      mode: "payment",
      status: "open",
      payment_status: "unpaid",
      url: `https://checkout.stripe.fake/c/pay/${id}`,
      customer: customer ?? null,
      customer_creation: str(params.customer_creation) ?? null,
      client_reference_id: str(params.client_reference_id) ?? null,
      success_url: successUrl,
      cancel_url: str(params.cancel_url) ?? null,
      amount_total: amount * (num(item.quantity) ?? 1),
      currency,
      metadata: metadataOf(params.metadata),
      payment_intent_data: {
        metadata: metadataOf(intentData.metadata),
        setup_future_usage: str(intentData.setup_future_usage) ?? null,
      },
      payment_intent: null,
    };
    this.sessions.set(id, session);
    return session;
  }

  /** The buyer paid the session: its PaymentIntent and charge, the customer, a saved card. */
  complete(sessionId: string): Json {
    const session = this.sessions.get(sessionId);
    if (session?.mode !== "payment") throw new Error(`no payment session ${sessionId}`);
    let customer = session.customer as string | null;
    if (!customer) {
      customer = fakeId("cus");
      this.customers.set(customer, { id: customer, object: "customer", metadata: {} });
    }
    const data = session.payment_intent_data as {
      metadata: Json;
      setup_future_usage: string | null;
    };
    const card = fakeId("pm");
    if (data.setup_future_usage)
      this.cards.set(customer, [...(this.cards.get(customer) ?? []), card]);
    const intent = this.succeeded({
      amount: session.amount_total as number,
      currency: session.currency as string,
      customer,
      payment_method: card,
      metadata: data.metadata,
    });
    const completed = {
      ...session,
      status: "complete",
      payment_status: "paid",
      customer,
      payment_intent: intent.id,
    };
    this.sessions.set(sessionId, completed);
    return completed;
  }

  /** GET /v1/payment_methods?customer=…&type=card */
  listCards(params: Params): Json {
    const customer = str(params.customer) ?? "";
    if (!this.customers.has(customer)) throw missing("customer", customer, "customer");
    const cards = (this.cards.get(customer) ?? []).slice(0, num(params.limit) ?? 10);
    return {
      object: "list",
      data: cards.map((id) => ({ id, object: "payment_method", type: "card", customer })),
      has_more: false,
    };
  }

  /** POST /v1/payment_intents: confirmed off-session on a saved card, or declined. */
  createIntent(params: Params): Json {
    const customer = str(params.customer) ?? "";
    const card = str(params.payment_method) ?? "";
    if (!(this.cards.get(customer) ?? []).includes(card)) {
      throw missing("payment_method", card, "payment_method");
    }
    if (str(params.confirm) !== "true" || str(params.off_session) !== "true") {
      throw invalid("the fake only confirms off-session intents", "confirm");
    }
    const amount = num(params.amount);
    const currency = str(params.currency);
    if (!amount || !currency) throw invalid("amount and currency are required", "amount");
    if (this.declines > 0) {
      this.declines--;
      throw new StripeApiError(402, {
        type: "card_error",
        code: "card_declined",
        message: "Your card was declined.",
      });
    }
    return this.succeeded({
      amount,
      currency,
      customer,
      payment_method: card,
      metadata: metadataOf(params.metadata),
    });
  }

  private succeeded(fields: {
    amount: number;
    currency: string;
    customer: string;
    payment_method: string;
    metadata: Json;
  }): Json {
    const id = fakeId("pi");
    const charge = fakeId("ch");
    this.refunds.addCharge({ id: charge, amount: fields.amount, paymentIntent: id });
    const intent = {
      id,
      object: "payment_intent",
      status: "succeeded",
      amount_received: fields.amount,
      latest_charge: charge,
      created: nowSeconds(),
      ...fields,
    };
    this.intents.set(id, intent);
    return intent;
  }
}
