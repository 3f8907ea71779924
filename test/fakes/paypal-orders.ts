// PayPal Orders v2 for the fake PayPal: orders created for approval, approved by the buyer,
// captured once (a repeated capture with the same PayPal-Request-Id answers the same capture; a
// capture of a captured order is 422 ORDER_ALREADY_CAPTURED), and refunds of captures.

interface Money {
  currency_code: string;
  value: string;
}

export interface FakeOrder {
  id: string;
  status: "CREATED" | "APPROVED" | "COMPLETED";
  intent: string;
  purchase_units: {
    reference_id?: string;
    custom_id?: string;
    amount: Money;
    payments?: { captures: FakeCapture[] };
  }[];
  links: { href: string; rel: string; method: string }[];
}

export interface FakeCapture {
  id: string;
  status: "COMPLETED";
  amount: Money;
  custom_id?: string;
  supplementary_data: { related_ids: { order_id: string } };
  refunds: { id: string; amount: Money }[];
}

const respond = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

const issue = (status: number, name: string, issueName: string) =>
  respond(status, { name, message: `${name} (fake)`, details: [{ issue: issueName }] });

const code = () => crypto.randomUUID().replaceAll("-", "").slice(0, 17).toUpperCase();

export class FakeOrders {
  readonly orders = new Map<string, FakeOrder>();
  readonly captures = new Map<string, FakeCapture>();
  private readonly captureRequests = new Map<string, string>();
  private readonly refundRequests = new Map<string, { id: string; amount: Money }>();

  constructor(private readonly base: string) {}

  order(id: string): FakeOrder {
    const order = this.orders.get(id);
    if (!order) throw new Error(`no fake PayPal order ${id}`);
    return order;
  }

  /** The buyer approved the order at PayPal (a captured order stays captured). */
  approve(id: string): FakeOrder {
    const order = this.order(id);
    if (order.status === "CREATED") order.status = "APPROVED";
    return order;
  }

  /** The order's API, or null for other paths. */
  route(
    method: string,
    path: string,
    body: Record<string, unknown>,
    requestId?: string,
  ): Response | null {
    if (method === "POST" && path === "/v2/checkout/orders") return this.create(body);
    let m = /^\/v2\/checkout\/orders\/([^/]+)(\/capture)?$/.exec(path);
    if (m?.[1]) {
      const order = this.orders.get(decodeURIComponent(m[1]));
      if (!order) return issue(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID");
      if (method === "GET" && !m[2]) return respond(200, order);
      if (method === "POST" && m[2]) return this.capture(order, requestId);
    }
    m = /^\/v2\/payments\/captures\/([^/]+)\/refund$/.exec(path);
    if (method === "POST" && m?.[1]) return this.refund(decodeURIComponent(m[1]), body, requestId);
    return null;
  }

  private create(body: Record<string, unknown>): Response {
    const unit = (body.purchase_units as FakeOrder["purchase_units"] | undefined)?.[0];
    if (body.intent !== "CAPTURE" || !unit?.amount?.value) {
      return issue(400, "INVALID_REQUEST", "MISSING_REQUIRED_PARAMETER");
    }
    const id = `O-${code()}`;
    const order: FakeOrder = {
      id,
      status: "CREATED",
      intent: "CAPTURE",
      purchase_units: [{ ...unit }],
      links: [
        { href: `https://www.paypal.fake/checkoutnow?token=${id}`, rel: "approve", method: "GET" },
        { href: `${this.base}/v2/checkout/orders/${id}`, rel: "self", method: "GET" },
      ],
    };
    this.orders.set(id, order);
    return respond(201, order);
  }

  private capture(order: FakeOrder, requestId?: string): Response {
    const earlier = requestId ? this.captureRequests.get(requestId) : undefined;
    if (earlier === order.id) return respond(201, order);
    if (order.status === "COMPLETED") {
      return issue(422, "UNPROCESSABLE_ENTITY", "ORDER_ALREADY_CAPTURED");
    }
    if (order.status !== "APPROVED") {
      return issue(422, "UNPROCESSABLE_ENTITY", "ORDER_NOT_APPROVED");
    }
    const unit = order.purchase_units[0];
    if (!unit) return issue(422, "UNPROCESSABLE_ENTITY", "MISSING_PURCHASE_UNIT");
    const capture: FakeCapture = {
      id: `C-${code()}`,
      status: "COMPLETED",
      amount: unit.amount,
      ...(unit.custom_id ? { custom_id: unit.custom_id } : {}),
      supplementary_data: { related_ids: { order_id: order.id } },
      refunds: [],
    };
    this.captures.set(capture.id, capture);
    unit.payments = { captures: [capture] };
    order.status = "COMPLETED";
    if (requestId) this.captureRequests.set(requestId, order.id);
    return respond(201, order);
  }

  /** A refund; one with a PayPal-Request-Id seen before answers that refund again. */
  private refund(captureId: string, body: Record<string, unknown>, requestId?: string): Response {
    const capture = this.captures.get(captureId);
    if (!capture) return issue(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID");
    const earlier = requestId ? this.refundRequests.get(requestId) : undefined;
    if (earlier) return respond(201, { ...earlier, status: "COMPLETED" });
    const amount = (body.amount as Money | undefined) ?? capture.amount;
    const refund = { id: `R-${code()}`, amount };
    capture.refunds.push(refund);
    if (requestId) this.refundRequests.set(requestId, refund);
    return respond(201, { ...refund, status: "COMPLETED" });
  }
}
