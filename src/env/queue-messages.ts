// What each queue carries: wrangler types cannot know a queue's messages, so they are typed here.

/** An auto-recharge a user's object started: charge the saved card (idempotent on `reference`). */
export interface WalletRechargeMessage {
  user_id: string;
  reference: string;
  amount: number;
  currency: string;
}

/**
 * A provider event on the webhook queue: either the id of its stored row (replays, sweeps, bodies
 * too large for a message), or the whole verified event, which the consumer stores.
 */
export type WebhookMessage = { event_id: string } | { received: ReceivedEvent };

/** A verified provider event as the receiver queues it, before anything is written. */
export interface ReceivedEvent {
  id: string;
  provider: "stripe" | "paypal";
  provider_event_id: string;
  type: string;
  /** The provider's time for the event, and ours for receiving it (epoch ms). */
  occurred_at: number;
  received_at: number;
  /** The raw body, exactly as signed. */
  payload: string;
}

export interface EmailMessage {
  outbox_id: string;
}

/** One delivery of a notification on a channel other than in-app (its row says the status). */
export interface NotificationDelivery {
  delivery_id: string;
  notification_id: string;
  user_id: string;
  channel: "email" | "sms" | "push";
}

/** An admin's broadcast to fan out: the consumer notifies its next page of recipients. */
export interface BroadcastMessage {
  broadcast_id: string;
}

/**
 * What the RateLimiter object reports on the usage-alerts queue (it cannot notify: notifications
 * sit above it): a window's crossing, or a wallet's balance falling below the user's threshold.
 */
export type UsageAlertMessage = WindowAlertMessage | WalletLowAlertMessage;

/**
 * A user's day or month window crossed 80% or 100% of its limit: the consumer turns it into one
 * notification per window period and level.
 */
export interface WindowAlertMessage {
  user_id: string;
  window: "day" | "month";
  level: 80 | 100;
  /** The window period's bounds (epoch ms); the start names the period in the dedupe key. */
  period_start: number;
  period_end: number;
  limit: number;
  used: number;
}

/**
 * A ledger entry took the wallet's available balance in `currency` from at least the user's
 * threshold to below it: one notification per crossing (its dedupe key names the entry's `seq`).
 */
export interface WalletLowAlertMessage {
  kind: "wallet_low";
  user_id: string;
  currency: string;
  threshold: number;
  /** The available balance just after the crossing (minor units). */
  available: number;
  /** The crossing ledger entry's sequence number in the user's object. */
  seq: number;
  /** When it crossed (epoch ms). */
  at: number;
}

/**
 * The action-runs queue: an async run to perform, or what a sync run could not finish at once
 * (settling its hold, writing its record), retried here until done.
 */
export type ActionRunMessage =
  | {
      type: "run";
      /** The run as queued (its record may not be in D1 yet). */
      run: ActionRunRecord;
      input: unknown;
      /** Whether the price was held (a priced action), to settle once the run ends. */
      held: boolean;
    }
  | { type: "settle"; run_id: string; user_id: string; capture: boolean }
  | { type: "record"; run: ActionRunRecord };

/** An action run as a message carries it: the `action_runs` row (src/db/schema/actions.ts). */
export interface ActionRunRecord {
  id: string;
  userId: string;
  actionId: string;
  actionSlug: string;
  kind: "run" | "proxy";
  mode: "sync" | "async";
  status: "queued" | "running" | "succeeded" | "failed";
  error:
    | "upstream_failed"
    | "upstream_timeout"
    | "upstream_unreachable"
    | "action_unavailable"
    | "not_queued"
    | "abandoned"
    | "hold_expired"
    | null;
  priceAmount: number | null;
  priceCurrency: string | null;
  charged: boolean;
  idempotencyKey: string | null;
  method: string;
  path: string | null;
  requestBody: string | null;
  requestTruncated: boolean;
  upstreamStatus: number | null;
  responseBody: string | null;
  responseTruncated: boolean;
  responseContentType: string | null;
  attempts: number;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  durationMs: number | null;
  updatedAt: number;
}
