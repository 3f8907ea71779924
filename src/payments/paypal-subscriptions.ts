// PayPal's subscription as it comes back from the API and in webhooks (only what tollgate reads),
// and what it means in tollgate's provider-neutral terms.
import type { SubscriptionStatus } from "../db/schema";
import type { ProviderSubscriptionState } from "./provider";

export interface PayPalLink {
  href: string;
  rel: string;
  method?: string;
}

export interface PayPalMoney {
  currency_code: string;
  value: string;
}

export interface PayPalSubscription {
  id: string;
  plan_id?: string;
  status: string;
  status_update_time?: string;
  start_time?: string;
  create_time?: string;
  update_time?: string;
  custom_id?: string;
  subscriber?: { email_address?: string; payer_id?: string };
  billing_info?: {
    next_billing_time?: string;
    last_payment?: { amount?: PayPalMoney; time?: string };
    last_failed_payment?: { amount?: PayPalMoney; time?: string };
    failed_payments_count?: number;
  };
  links?: PayPalLink[];
}

const STATUS: Record<string, SubscriptionStatus> = {
  APPROVAL_PENDING: "incomplete",
  APPROVED: "incomplete",
  ACTIVE: "active",
  SUSPENDED: "past_due",
  CANCELLED: "canceled",
  EXPIRED: "expired",
};

function time(value: string | undefined | null): number | null {
  if (!value) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

/**
 * A PayPal subscription as tollgate's provider-neutral state. `stateAt` is PayPal's time for the
 * status (event handlers replace it with the event's own time). PayPal has no "cancel at period
 * end" and no separate trial status: a trial cycle is ACTIVE.
 */
export function subscriptionState(resource: PayPalSubscription): ProviderSubscriptionState {
  const status = STATUS[resource.status];
  if (!status) throw new Error(`unknown PayPal subscription status ${resource.status}`);
  const stateAt = time(resource.status_update_time ?? resource.update_time);
  return {
    providerSubscriptionId: resource.id,
    status,
    providerPriceId: resource.plan_id ?? null,
    currentPeriodStart: time(resource.billing_info?.last_payment?.time ?? resource.start_time),
    currentPeriodEnd: time(resource.billing_info?.next_billing_time),
    trialEnd: null,
    cancelAtPeriodEnd: false,
    canceledAt: status === "canceled" ? stateAt : null,
    stateAt: stateAt ?? 0,
  };
}

export function approveLink(links: PayPalLink[] | undefined): string | null {
  return links?.find((link) => link.rel === "approve")?.href ?? null;
}
