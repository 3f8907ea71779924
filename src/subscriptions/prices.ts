// What a plan costs per interval, and the price it has at each provider.
import type { Interval, Plan } from "../db/schema";
import type { PaidProvider } from "../payments/provider";

/** The plan's price id at the provider, or null when it cannot be bought there. */
export function providerPriceId(
  plan: Plan,
  provider: PaidProvider,
  interval: Interval,
): string | null {
  if (provider === "stripe")
    return interval === "month" ? plan.stripePriceMonth : plan.stripePriceYear;
  return interval === "month" ? plan.paypalPlanMonth : plan.paypalPlanYear;
}

export function priceOf(plan: Plan, interval: Interval): number {
  return interval === "month" ? plan.priceMonth : plan.priceYear;
}
