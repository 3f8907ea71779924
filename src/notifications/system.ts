// What the system tells users on its own, each once: payments, renewals, endings, plan changes,
// dunning steps, usage, and a wallet below the user's threshold. One function turns an event into
// the notification: its type, its text in the recipient's language, its channels and its dedupe
// key.
//
// Channels: where an email already goes out for the same moment (payment failed, trial ending,
// access restricted or suspended: src/email/templates.ts), the notification takes in-app, push
// and SMS and never email, so nobody gets the same email twice. The other moments take in-app,
// email and push; SMS, which costs money per message, is kept for those that need action now.
import type { Channel, NotificationType } from "../db/schema";
import { type Locale, t } from "../i18n";
import { formatMoney } from "../lib/money";
import type { NotifyInput } from "./notify";

export type SystemEvent =
  | {
      kind: "payment_failed";
      provider: string;
      paymentId: string;
      plan: string | null;
      amount: number;
      currency: string;
    }
  | { kind: "payment_recovered"; provider: string; paymentId: string; plan: string | null }
  | {
      kind: "renewed";
      subscriptionId: string;
      plan: string | null;
      periodStart: number;
      /** The next renewal, when the report says it. */
      periodEnd: number | null;
    }
  | { kind: "trial_ending"; subscriptionId: string; plan: string | null; endsAt: number }
  | { kind: "subscription_ending"; subscriptionId: string; plan: string | null; endsAt: number }
  | { kind: "canceled"; subscriptionId: string; plan: string | null }
  | {
      kind: "plan_changed";
      subscriptionId: string;
      from: string | null;
      to: string;
      toPlanId: string;
      at: number;
    }
  | {
      kind: "access_restricted" | "access_suspended";
      subscriptionId: string;
      plan: string | null;
      pastDueSince: number;
    }
  | {
      kind: "usage";
      window: "day" | "month";
      level: 80 | 100;
      periodStart: number;
      periodEnd: number;
      limit: number;
      used: number;
    }
  | {
      kind: "wallet_low";
      currency: string;
      threshold: number;
      available: number;
      /** The crossing ledger entry's sequence number: one notice per crossing. */
      seq: number;
    };

export type SystemEventKind = SystemEvent["kind"];

/** Moments with an email of their own already: the notification stays off email. */
const BESIDES_EMAIL: Channel[] = ["in_app", "push", "sms"];
const WITH_EMAIL: Channel[] = ["in_app", "email", "push"];

const TYPES: Record<SystemEventKind, NotificationType> = {
  payment_failed: "billing",
  payment_recovered: "billing",
  renewed: "renewal",
  trial_ending: "expiry",
  subscription_ending: "expiry",
  canceled: "expiry",
  plan_changed: "billing",
  access_restricted: "billing",
  access_suspended: "billing",
  usage: "usage",
  wallet_low: "billing",
};

const CHANNELS: Record<SystemEventKind, Channel[]> = {
  payment_failed: BESIDES_EMAIL,
  payment_recovered: WITH_EMAIL,
  renewed: WITH_EMAIL,
  trial_ending: BESIDES_EMAIL,
  subscription_ending: WITH_EMAIL,
  canceled: WITH_EMAIL,
  plan_changed: WITH_EMAIL,
  access_restricted: BESIDES_EMAIL,
  access_suspended: BESIDES_EMAIL,
  usage: WITH_EMAIL,
  wallet_low: WITH_EMAIL,
};

/** The key that makes a moment notify once, however often it is reported. */
export function dedupeKey(event: SystemEvent): string {
  switch (event.kind) {
    case "payment_failed":
    case "payment_recovered":
      return `${event.kind}:${event.provider}:${event.paymentId}`;
    case "renewed":
      return `renewed:${event.subscriptionId}:${event.periodStart}`;
    case "trial_ending":
    case "subscription_ending":
      return `${event.kind}:${event.subscriptionId}:${event.endsAt}`;
    case "canceled":
      return `canceled:${event.subscriptionId}`;
    case "plan_changed":
      return `plan_changed:${event.subscriptionId}:${event.toPlanId}:${event.at}`;
    case "access_restricted":
    case "access_suspended":
      return `dunning:${event.subscriptionId}:${event.kind}:${event.pastDueSince}`;
    case "usage":
      return `usage:${event.window}:${event.periodStart}:${event.level}`;
    case "wallet_low":
      return `wallet_low:${event.currency}:${event.seq}`;
  }
}

/** How the recipient reads dates: their language, their time zone (UTC without one). */
export interface Reader {
  locale: Locale;
  timezone: string | null;
}

function date(reader: Reader, ms: number): string {
  const options: Intl.DateTimeFormatOptions = { dateStyle: "long" };
  try {
    return new Intl.DateTimeFormat(reader.locale, {
      ...options,
      timeZone: reader.timezone ?? "UTC",
    }).format(ms);
  } catch {
    return new Intl.DateTimeFormat(reader.locale, { ...options, timeZone: "UTC" }).format(ms);
  }
}

function params(event: SystemEvent, reader: Reader): Record<string, string | number> {
  // A plan whose name is not known is "paid" in the reader's language (as the emails say it).
  const name = (plan: string | null) => plan ?? t(reader.locale, "email.common.paid_plan");
  switch (event.kind) {
    case "payment_failed":
      return {
        plan: name(event.plan),
        amount: formatMoney(event.amount, event.currency, reader.locale),
      };
    case "renewed":
      return event.periodEnd === null
        ? { plan: name(event.plan) }
        : { plan: name(event.plan), date: date(reader, event.periodEnd) };
    case "trial_ending":
    case "subscription_ending":
      return { plan: name(event.plan), date: date(reader, event.endsAt) };
    case "plan_changed":
      return { from: name(event.from), to: event.to };
    case "usage":
      return {
        window: t(reader.locale, `channels.windows.${event.window}`),
        percent: event.level,
        used: event.used,
        limit: event.limit,
        date: date(reader, event.periodEnd),
      };
    case "wallet_low":
      return {
        available: formatMoney(event.available, event.currency, reader.locale),
        threshold: formatMoney(event.threshold, event.currency, reader.locale),
      };
    default:
      return { plan: name(event.plan) };
  }
}

/** The notification for an event, in the reader's language. */
export function systemNotice(event: SystemEvent, reader: Reader): NotifyInput {
  const key = event.kind === "usage" ? `usage_${event.level}` : event.kind;
  // A renewal whose next date is not known yet says so without it.
  const body = event.kind === "renewed" && event.periodEnd === null ? "body_undated" : "body";
  const values = params(event, reader);
  const { kind, ...data } = event;
  return {
    type: TYPES[kind],
    title: t(reader.locale, `channels.${key}.heading`, values),
    body: t(reader.locale, `channels.${key}.${body}`, values),
    data: { event: kind, ...data },
    channels: CHANNELS[kind],
    dedupeKey: dedupeKey(event),
  };
}
