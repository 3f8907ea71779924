// Subscription schedules for the fake Stripe API: created from a subscription, retrieved, their
// phases replaced, released; and what Stripe does at a renewal (the phase that starts then puts
// its price on the subscription, with no proration when the phase says none).
import {
  fakeId,
  invalid,
  type Json,
  list,
  metadataOf,
  missing,
  num,
  obj,
  type Params,
  type ParamValue,
  str,
} from "./stripe-wire";

export interface FakePhase {
  start_date: number;
  end_date: number;
  items: { price: string; quantity: number }[];
  proration_behavior: string;
  metadata: Record<string, string>;
  discounts: Json[];
  trial_end: number | null;
}

export interface FakeSchedule {
  id: string;
  object: "subscription_schedule";
  status: "active" | "released" | "completed" | "canceled";
  subscription: string | null;
  released_subscription: string | null;
  end_behavior: string;
  current_phase: { start_date: number; end_date: number } | null;
  phases: FakePhase[];
}

const MONTH_SECONDS = 30 * 86_400;
const YEAR_SECONDS = 365 * 86_400;

interface Item {
  price: { id: string };
  current_period_start: number;
  current_period_end: number;
}

const itemOf = (subscription: Json): Item => {
  const item = (subscription.items as { data: Item[] }).data[0];
  if (!item) throw new Error("fake subscription without an item");
  return item;
};

export class FakeSchedules {
  readonly byId = new Map<string, FakeSchedule>();
  /** The request-level proration_behavior of each update, in order. */
  readonly updates: { id: string; proration_behavior: string | undefined }[] = [];

  constructor(private readonly subscriptions: Map<string, Json>) {}

  route(method: string, id: string | undefined, rest: string[], params: Params): unknown {
    if (method === "POST" && !id) return this.create(params);
    const schedule = id ? this.byId.get(id) : undefined;
    if (!id || !schedule) throw missing("subscription_schedule", id ?? "", "schedule");
    if (method === "GET" && rest.length === 0) return schedule;
    if (method === "POST" && rest.length === 0) return this.update(schedule, params);
    if (method === "POST" && rest[0] === "release") return this.release(schedule);
    throw missing("route", `${method} ${id}/${rest.join("/")}`);
  }

  private create(params: Params): FakeSchedule {
    const subscriptionId = str(params.from_subscription);
    const subscription = subscriptionId ? this.subscriptions.get(subscriptionId) : undefined;
    if (!subscriptionId || !subscription) {
      throw missing("subscription", subscriptionId ?? "", "from_subscription");
    }
    if (subscription.schedule) {
      throw invalid(
        `You cannot migrate a subscription that is already attached to a schedule: \`${String(subscription.schedule)}\`.`,
        "from_subscription",
      );
    }
    const item = itemOf(subscription);
    const schedule: FakeSchedule = {
      id: fakeId("sub_sched"),
      object: "subscription_schedule",
      status: "active",
      subscription: subscriptionId,
      released_subscription: null,
      end_behavior: "release",
      current_phase: { start_date: item.current_period_start, end_date: item.current_period_end },
      phases: [
        {
          start_date: item.current_period_start,
          end_date: item.current_period_end,
          items: [{ price: item.price.id, quantity: 1 }],
          proration_behavior: "create_prorations",
          metadata: {},
          discounts: [],
          trial_end: (subscription.trial_end as number | null) ?? null,
        },
      ],
    };
    this.byId.set(schedule.id, schedule);
    subscription.schedule = schedule.id;
    return schedule;
  }

  private update(schedule: FakeSchedule, params: Params): FakeSchedule {
    if (schedule.status !== "active") {
      throw invalid(`You cannot update a subscription schedule in status ${schedule.status}.`);
    }
    this.updates.push({ id: schedule.id, proration_behavior: str(params.proration_behavior) });
    const given = list(params.phases).map((p) => obj(p));
    if (given.length > 0) {
      const first = given[0] as Params;
      const current = schedule.current_phase?.start_date;
      // Stripe keeps the phase in force where it is: its start cannot move.
      if (current === undefined || num(first.start_date) !== current) {
        throw invalid("The start_date of the current phase cannot be changed.", "phases");
      }
      let start = current;
      schedule.phases = given.map((phase) => {
        const end = num(phase.end_date) ?? start + durationSeconds(obj(phase.duration));
        const built: FakePhase = {
          start_date: start,
          end_date: end,
          items: list(phase.items).map((i) => {
            const price = str(obj(i).price);
            if (!price) throw invalid("Missing required param: phases[][items][][price].");
            return { price, quantity: num(obj(i).quantity) ?? 1 };
          }),
          proration_behavior: str(phase.proration_behavior) ?? "create_prorations",
          metadata: metadataOf(phase.metadata),
          discounts: list(phase.discounts).map((d) => ({ ...obj(d) })),
          trial_end: num(phase.trial_end) ?? null,
        };
        start = end;
        return built;
      });
    }
    const endBehavior = str(params.end_behavior);
    if (endBehavior) schedule.end_behavior = endBehavior;
    return schedule;
  }

  private release(schedule: FakeSchedule): FakeSchedule {
    if (schedule.status !== "active") {
      throw invalid(
        `You cannot release a subscription schedule that is currently in the \`${schedule.status}\` status.`,
      );
    }
    const subscription = schedule.subscription
      ? this.subscriptions.get(schedule.subscription)
      : undefined;
    if (subscription) subscription.schedule = null;
    schedule.status = "released";
    schedule.released_subscription = schedule.subscription;
    schedule.subscription = null;
    schedule.current_phase = null;
    return schedule;
  }

  /**
   * The subscription renews: its next period starts where the last ended. A schedule steering it
   * with a phase that starts then puts that phase's price and metadata on the subscription.
   */
  renew(subscription: Json, periodEnd?: number): Json {
    const item = itemOf(subscription);
    const start = item.current_period_end;
    const end = periodEnd ?? start + (item.current_period_end - item.current_period_start);
    const schedule =
      typeof subscription.schedule === "string" ? this.byId.get(subscription.schedule) : null;
    const phase = schedule?.phases.find((p) => p.start_date === start);
    if (schedule && phase) {
      const price = phase.items[0]?.price;
      if (price) item.price = { id: price };
      subscription.metadata = {
        ...(subscription.metadata as Record<string, string>),
        ...phase.metadata,
      };
      subscription.last_proration_behavior = phase.proration_behavior;
      schedule.current_phase = { start_date: phase.start_date, end_date: phase.end_date };
    }
    item.current_period_start = start;
    item.current_period_end = end;
    return subscription;
  }
}

function durationSeconds(duration: Params): number {
  const count = num(duration.interval_count as ParamValue | undefined) ?? 1;
  const interval = str(duration.interval);
  if (interval === "month") return count * MONTH_SECONDS;
  if (interval === "year") return count * YEAR_SECONDS;
  throw invalid("A phase without end_date needs a duration.", "phases");
}
