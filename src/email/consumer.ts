import { and, eq } from "drizzle-orm";
import type { Db } from "../db";
import { emailOutbox } from "../db/schema";
import type { Config, EmailMessage } from "../env";
import { type EmailProvider, PermanentEmailError } from "./providers";

/** Deliveries give up (status `failed`) after this many attempts. */
export const MAX_EMAIL_ATTEMPTS = 5;

export type DeliveryOutcome = "sent" | "skipped" | "failed" | "retry";

/** Sends one outbox email. Idempotent: an email already sent or failed is skipped. */
export async function deliverEmail(
  db: Db,
  config: Config,
  provider: EmailProvider,
  outboxId: string,
  now: number,
): Promise<DeliveryOutcome> {
  const row = await db.query.emailOutbox.findFirst({ where: eq(emailOutbox.id, outboxId) });
  if (row?.status !== "pending") return "skipped";
  const attempts = row.attempts + 1;
  try {
    const providerMessageId = await provider.send({
      from: config.EMAIL_FROM,
      to: row.toAddress,
      subject: row.subject,
      text: row.textBody,
    });
    await db
      .update(emailOutbox)
      .set({ status: "sent", sentAt: now, attempts, providerMessageId, lastError: null })
      .where(and(eq(emailOutbox.id, outboxId), eq(emailOutbox.status, "pending")));
    return "sent";
  } catch (error) {
    const permanent = error instanceof PermanentEmailError || attempts >= MAX_EMAIL_ATTEMPTS;
    await db
      .update(emailOutbox)
      .set({
        attempts,
        lastError: String(error).slice(0, 500),
        status: permanent ? "failed" : "pending",
      })
      .where(eq(emailOutbox.id, outboxId));
    return permanent ? "failed" : "retry";
  }
}

export async function consumeEmailBatch(
  batch: MessageBatch<EmailMessage>,
  db: Db,
  config: Config,
  provider: EmailProvider,
  now: number,
): Promise<void> {
  for (const message of batch.messages) {
    const outcome = await deliverEmail(db, config, provider, message.body.outbox_id, now);
    if (outcome === "retry") {
      // Exponential backoff: 30 s, 60 s, 120 s, … between attempts.
      message.retry({ delaySeconds: 30 * 2 ** Math.min(message.attempts - 1, 6) });
    } else {
      message.ack();
    }
  }
}
