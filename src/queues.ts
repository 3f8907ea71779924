import { openDb } from "./db";
import { consumeEmailBatch } from "./email/consumer";
import { emailProvider } from "./email/providers";
import {
  type BroadcastMessage,
  type EmailMessage,
  type Env,
  loadConfig,
  type NotificationDelivery,
  type WebhookMessage,
} from "./env";
import type { ServiceContext } from "./lib/context";
import { consumeBroadcasts } from "./notifications/broadcast-consumer";
import {
  consumeDeadNotificationDeliveries,
  consumeNotificationDeliveries,
} from "./notifications/consumer";
import { channelSenders } from "./notifications/senders";
import { consumeDeadWebhooks, consumeWebhookBatch } from "./webhooks/consumer";

// Queue names as declared in wrangler.toml.
export const QUEUES = {
  emails: "tollgate-emails",
  webhookEvents: "tollgate-webhook-events",
  webhookEventsDlq: "tollgate-webhook-events-dlq",
  notificationDeliveries: "tollgate-notification-deliveries",
  notificationDeliveriesDlq: "tollgate-notification-deliveries-dlq",
  notificationBroadcasts: "tollgate-notification-broadcasts",
} as const;

export async function dispatchQueue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const config = loadConfig(env);
  const ctx: ServiceContext = {
    db: openDb(env.DB),
    env,
    config,
    now: Date.now(),
    origin: `queue ${batch.queue}`,
  };
  switch (batch.queue) {
    case QUEUES.emails:
      return consumeEmailBatch(ctx, batch as MessageBatch<EmailMessage>, emailProvider(config));
    case QUEUES.webhookEvents:
      return consumeWebhookBatch(ctx, batch as MessageBatch<WebhookMessage>);
    case QUEUES.webhookEventsDlq:
      return consumeDeadWebhooks(ctx, batch as MessageBatch<WebhookMessage>);
    case QUEUES.notificationDeliveries:
      return consumeNotificationDeliveries(
        ctx,
        batch as MessageBatch<NotificationDelivery>,
        channelSenders(config),
      );
    case QUEUES.notificationDeliveriesDlq:
      return consumeDeadNotificationDeliveries(ctx, batch as MessageBatch<NotificationDelivery>);
    case QUEUES.notificationBroadcasts:
      return consumeBroadcasts(ctx, batch as MessageBatch<BroadcastMessage>);
    default:
      // A queue without a consumer here: keep its messages (retry) rather than drop them.
      console.error(JSON.stringify({ msg: "no consumer for queue", queue: batch.queue }));
      batch.retryAll({ delaySeconds: 300 });
  }
}
