import { openDb } from "./db";
import { consumeEmailBatch } from "./email/consumer";
import { emailProvider } from "./email/providers";
import { type EmailMessage, type Env, loadConfig } from "./env";

// Queue names as declared in wrangler.toml.
export const QUEUES = {
  emails: "tollgate-emails",
  webhookEvents: "tollgate-webhook-events",
  webhookEventsDlq: "tollgate-webhook-events-dlq",
} as const;

function isEmailBatch(batch: MessageBatch<unknown>): batch is MessageBatch<EmailMessage> {
  return batch.queue === QUEUES.emails;
}

export async function dispatchQueue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  if (isEmailBatch(batch)) {
    const config = loadConfig(env);
    await consumeEmailBatch(batch, openDb(env.DB), config, emailProvider(config), Date.now());
    return;
  }
  // A queue without a consumer here yet: keep its messages (retry) rather than drop them.
  console.error(JSON.stringify({ msg: "no consumer for queue", queue: batch.queue }));
  batch.retryAll({ delaySeconds: 300 });
}
