// What the PayPal event handlers share: reading the event's resource and its fields, and finding
// our subscription for PayPal's. Handlers only read; what they change goes back as statements the
// consumer applies in ONE batch with marking the event processed.
import type { Subscription } from "../../db/schema";
import { findSubscription } from "../../subscriptions/sync";
import { type EventContext, type EventEffect, noEffect } from "../types";

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function resourceOf(payload: unknown): Record<string, unknown> {
  if (!isRecord(payload) || !isRecord(payload.resource)) {
    throw new Error("PayPal event without a resource");
  }
  return payload.resource;
}

export function stringOr(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

export function moneyOf(value: unknown): { total: string; currency: string } | null {
  if (!isRecord(value)) return null;
  // Payments v1 says {total, currency}; v2 and the Subscriptions API say {value, currency_code}.
  const total = stringOr(value.total) ?? stringOr(value.value);
  const currency = stringOr(value.currency) ?? stringOr(value.currency_code);
  return total && currency ? { total, currency } : null;
}

/** Ours, by PayPal's id, or by the custom_id we gave PayPal at checkout (our subscription id). */
export async function ourSubscription(
  context: EventContext,
  providerSubscriptionId: string,
  customId: string | null,
): Promise<Subscription | null> {
  const found = await findSubscription(context.db, {
    provider: "paypal",
    providerSubscriptionId,
    id: customId,
  });
  if (found?.provider !== "paypal") return null;
  // Found by custom_id but tied to another PayPal subscription: not this one.
  if (found.providerSubscriptionId && found.providerSubscriptionId !== providerSubscriptionId) {
    return null;
  }
  return found;
}

export function ignored(context: EventContext, why: string): EventEffect {
  console.warn(
    JSON.stringify({ msg: "paypal event ignored", event: context.event.providerEventId, why }),
  );
  return noEffect();
}
