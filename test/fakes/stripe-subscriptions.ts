// Subscriptions for the fake Stripe API: the builder of a subscription object (the shape of API
// version 2025+: periods on the items), and retrieving, updating, cancelling and renewing them.
// Their schedules live in stripe-schedules.ts.
import { FakeSchedules } from "./stripe-schedules";
import {
  DAY_SECONDS,
  fakeId,
  invalid,
  type Json,
  list,
  metadataOf,
  missing,
  nowSeconds,
  obj,
  type Params,
  str,
} from "./stripe-wire";

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

export class FakeSubscriptions {
  readonly subscriptions = new Map<string, Json>();
  readonly schedules = new FakeSchedules(this.subscriptions);

  add(input: SubscriptionInput): Json {
    const subscription = subscriptionObject(input);
    this.subscriptions.set(subscription.id as string, subscription);
    return subscription;
  }

  /** /v1/subscriptions/:id: GET retrieves, POST updates, DELETE cancels. */
  route(method: string, id: string, params: Params): Json | undefined {
    const subscription = this.subscriptions.get(id);
    if (!subscription) throw missing("subscription", id, "id");
    if (method === "GET") return subscription;
    if (method === "POST") return this.update(subscription, params);
    if (method === "DELETE") return this.cancel(subscription, params);
    return undefined;
  }

  /** What Stripe does at the period end: the next period, on a scheduled phase's price. */
  renew(id: string, periodEnd?: number): Json {
    const subscription = this.subscriptions.get(id);
    if (!subscription) throw new Error(`no fake subscription ${id}`);
    return this.schedules.renew(subscription, periodEnd);
  }

  private update(subscription: Json, params: Params): Json {
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

  private cancel(subscription: Json, params: Params): Json {
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
}
