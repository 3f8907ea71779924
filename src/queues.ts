import { openDb } from "./db";
import { consumeEmailBatch } from "./email/consumer";
import { emailProvider } from "./email/providers";
import { type EmailMessage, type Env, loadConfig, type WebhookMessage } from "./env";
import { consumeDeadWebhooks, consumeWebhookBatch } from "./webhooks/consumer";

// Queue names as declared in wrangler.toml.
export const QUEUES = {
  emails: "tollgate-emails",
  webhookEvents: "tollgate-webhook-events",
  webhookEventsDlq: "tollgate-webhook-events-dlq",
} as const;

export async function dispatchQueue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const config = loadConfig(env);
  const db = openDb(env.DB);
  const now = Date.now();
  switch (batch.queue) {
    case QUEUES.emails:
      return consumeEmailBatch(
        batch as MessageBatch<EmailMessage>,
        db,
        config,
        emailProvider(config),
        now,
      );
    case QUEUES.webhookEvents:
      return consumeWebhookBatch(batch as MessageBatch<WebhookMessage>, db, env, config, now);
    case QUEUES.webhookEventsDlq:
      return consumeDeadWebhooks(batch as MessageBatch<WebhookMessage>, db, now);
    default:
      // A queue without a consumer here: keep its messages (retry) rather than drop them.
      console.error(JSON.stringify({ msg: "no consumer for queue", queue: batch.queue }));
      batch.retryAll({ delaySeconds: 300 });
  }
}
