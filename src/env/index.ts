/**
 * Bindings, vars and secrets, as `npm run types` generates them from wrangler.toml and
 * .dev.vars.example into worker-configuration.d.ts (all strings until ConfigSchema parses them).
 */
import type {
  ActionRunMessage,
  BroadcastMessage,
  EmailMessage,
  NotificationDelivery,
  UsageAlertMessage,
  WalletRechargeMessage,
  WebhookMessage,
} from "./queue-messages";

export * from "./config";
export * from "./queue-messages";

export interface Env
  extends Omit<
    Cloudflare.Env,
    | "EMAILS"
    | "WEBHOOK_EVENTS"
    | "WALLET_RECHARGES"
    | "NOTIFICATION_DELIVERIES"
    | "NOTIFICATION_BROADCASTS"
    | "USAGE_ALERTS"
    | "ACTION_RUNS"
  > {
  // wrangler types cannot know a queue's messages: they are typed here.
  EMAILS: Queue<EmailMessage>;
  WEBHOOK_EVENTS: Queue<WebhookMessage>;
  WALLET_RECHARGES: Queue<WalletRechargeMessage>;
  NOTIFICATION_DELIVERIES: Queue<NotificationDelivery>;
  NOTIFICATION_BROADCASTS: Queue<BroadcastMessage>;
  USAGE_ALERTS: Queue<UsageAlertMessage>;
  ACTION_RUNS: Queue<ActionRunMessage>;
}
