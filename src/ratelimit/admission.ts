// What decides one request in the object, after its credential: the plan's four windows and,
// for a call with its own window (an action run, an account route) or a price, the
// Idempotency-Key, that window and the money. Everything is checked before anything is written,
// and written together, with no await: a refused call counts and holds nothing, and concurrent
// calls can never over-admit or overdraw.
import { grants } from "../db/plan-features";
import type { SubjectPolicy } from "../policy/policy";
import type { Buckets } from "./buckets";
import type { Admission, RateWindows } from "./counters";
import type { ConsumeRequest, ReplayResult } from "./messages";
import type { Replays } from "./replays";
import type { Wallet } from "./wallet";

export class Admissions {
  constructor(
    private readonly windows: RateWindows,
    private readonly buckets: Buckets,
    private readonly wallet: Wallet,
    private readonly replays: Replays,
  ) {}

  decide(
    request: ConsumeRequest,
    policy: SubjectPolicy | null,
    now: number,
  ): Admission | ReplayResult {
    const ask = request.admission;
    if (!ask) return this.windows.admit(request, policy, now);

    // A client's retry of a call that was admitted: answered with the first, nothing counted.
    const first = ask.idempotencyKey ? this.replays.find(ask.idempotencyKey, now) : null;
    if (first !== null) return { outcome: "replay", reference: first };
    if (ask.hold && this.wallet.isHeld(ask.reference)) {
      return { outcome: "replay", reference: ask.reference };
    }

    const plan = this.windows.decide(request, policy, now);
    if (plan.admission.outcome === "payment_required") return plan.admission;
    // The plan's features are here already: a gated call is decided without D1.
    if (ask.feature && !grants(policy?.features[ask.feature])) {
      return {
        outcome: "feature_not_in_plan",
        standing: plan.admission.standing,
        windows: plan.unchanged(),
        violations: [],
        feature: ask.feature,
      };
    }
    const own = ask.window
      ? this.buckets.check(
          ask.window.name,
          ask.window.limit,
          ask.window.windowMs,
          ask.window.cost ?? 1,
          now,
        )
      : null;

    if (plan.admission.outcome === "limited" || (own && !own.allowed)) {
      return {
        outcome: "limited",
        standing: plan.admission.standing,
        windows: plan.admission.outcome === "limited" ? plan.admission.windows : plan.unchanged(),
        violations: [...plan.admission.violations, ...(own && !own.allowed ? [own.unchanged] : [])],
        ...(own ? { window: own.unchanged } : {}),
      };
    }

    const hold = ask.hold
      ? {
          reference: ask.reference,
          money: { ...ask.hold, currency: ask.hold.currency.toLowerCase() },
        }
      : null;
    if (hold && (!Number.isSafeInteger(hold.money.amount) || hold.money.amount < 0)) {
      throw new RangeError("A hold's amount is a non-negative integer in minor units");
    }
    if (hold) {
      const { available } = this.wallet.balance(hold.money.currency);
      if (available < hold.money.amount) {
        return {
          outcome: "insufficient_funds",
          standing: plan.admission.standing,
          windows: plan.unchanged(),
          violations: [],
          ...(own ? { window: own.unchanged } : {}),
          funds: { currency: hold.money.currency, price: hold.money.amount, available },
        };
      }
    }

    plan.commit();
    own?.commit();
    const held = hold && hold.money.amount > 0 ? hold : null;
    if (held) this.wallet.hold(held.reference, held.money, now);
    if (ask.idempotencyKey) this.replays.remember(ask.idempotencyKey, ask.reference, now);
    return {
      ...plan.admission,
      ...(own ? { window: own.window } : {}),
      ...(held ? { holdId: held.reference } : {}),
    };
  }
}
