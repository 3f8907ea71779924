// Customers and billing portal sessions for the fake Stripe API.
import {
  fakeId,
  type Json,
  metadataOf,
  missing,
  nowSeconds,
  type Params,
  str,
} from "./stripe-wire";

export class FakeCustomers {
  readonly customers = new Map<string, Json>();
  readonly portalSessions = new Map<string, Json>();

  /** POST /v1/customers */
  create(params: Params): Json {
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

  /** POST /v1/billing_portal/sessions */
  createPortalSession(params: Params): Json {
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
