import type {
  Coupon,
  Interval,
  PAID_PROVIDERS,
  Payment,
  Plan,
  Subscription,
  SubscriptionStatus,
} from "../db/schema";

/** A provider that takes money and sends events. */
export type PaidProvider = (typeof PAID_PROVIDERS)[number];

export interface CheckoutRequest {
  user: { id: string; email: string };
  plan: Plan;
  interval: Interval;
  coupon: Coupon | null;
  successUrl: string;
  cancelUrl: string;
  /** The provider's customer for this user, when one was created before. */
  customerId: string | null;
  /** Our id for the subscription being bought; providers carry it back in events. */
  subscriptionId: string;
}

export interface CheckoutResult {
  checkoutUrl: string;
  /** A customer the provider created for this checkout, to keep for the next one. */
  customerId?: string;
  /** PayPal creates the subscription before approval; Stripe only when checkout completes. */
  providerSubscriptionId?: string;
}

/** A subscription as the provider reports it, for events and re-syncs. */
export interface ProviderSubscriptionState {
  providerSubscriptionId: string;
  status: SubscriptionStatus;
  /** The provider's plan/price id, mapped back to our plan by the caller. */
  providerPriceId: string | null;
  currentPeriodStart: number | null;
  currentPeriodEnd: number | null;
  trialEnd: number | null;
  cancelAtPeriodEnd: boolean;
  canceledAt: number | null;
  /** The provider's timestamp for this state, to order it against others. */
  stateAt: number;
}

/** What a plan change asks of the provider. */
export interface PlanChange {
  plan: Plan;
  interval: Interval;
  /** Upgrades charge the difference now; downgrades apply at the period end without proration. */
  prorate: boolean;
  returnUrl?: string;
}

/**
 * One payment provider. tollgate keeps its own record of subscriptions and payments; a provider
 * only moves money and reports back (through webhooks, or when asked).
 */
export interface BillingProvider {
  readonly name: PaidProvider;
  createCheckout(request: CheckoutRequest): Promise<CheckoutResult>;
  /** Returns an approval URL when the provider needs the buyer to consent (PayPal revisions). */
  changePlan(subscription: Subscription, change: PlanChange): Promise<{ approvalUrl?: string }>;
  /**
   * Arranges a downgrade at the provider when it is asked for, to take effect at the renewal: the
   * renewal is then billed at the new price and the old one is never billed again. The plan in
   * force does not change before the period end. Stripe: a subscription schedule (its id comes
   * back); PayPal: a plan revision, which PayPal bills from the next cycle once the buyer approves.
   */
  scheduleChange(
    subscription: Subscription,
    change: PlanChange,
  ): Promise<{ scheduleId?: string; approvalUrl?: string }>;
  /**
   * Calls off what scheduleChange arranged, so the subscription renews at its current price
   * (`current`): Stripe releases the schedule; PayPal is asked for a revision back to it.
   */
  unscheduleChange(
    subscription: Subscription,
    current: PlanChange,
  ): Promise<{ approvalUrl?: string }>;
  cancel(
    subscription: Subscription,
    options: { atPeriodEnd: boolean; reason?: string },
  ): Promise<void>;
  resume(subscription: Subscription): Promise<void>;
  /** `key`: the provider's idempotency key, so a retry with it refunds at most once. */
  refund(
    payment: Payment,
    amount: number,
    reason?: string,
    key?: string,
  ): Promise<{ refundId: string }>;
  fetchSubscription(providerSubscriptionId: string): Promise<ProviderSubscriptionState>;
}
