import { and, eq, isNull, lte, or, sql } from "drizzle-orm";
import { emailOutbox } from "../db/schema";
import type { EmailMessage } from "../env";
import type { ServiceContext } from "../lib/context";
import { MINUTE } from "../lib/time";
import { type EmailProvider, PermanentEmailError } from "./providers";

/** Deliveries give up (status `failed`) after this many attempts. */
export const MAX_EMAIL_ATTEMPTS = 5;

export type DeliveryOutcome = "sent" | "skipped" | "failed" | "retry";

/** How long a delivery holds its row; longer than any provider call should take. */
export const DELIVERY_LEASE = 2 * MINUTE;

/**
 * Sends one outbox email. Idempotent: the row is claimed first (pending, not held by another
 * delivery), so a sent or failed email is skipped and two deliveries at once send it once.
 */
export async function deliverEmail(
  { db, config, now }: Pick<ServiceContext, "db" | "config" | "now">,
  provider: EmailProvider,
  outboxId: string,
): Promise<DeliveryOutcome> {
  const [row] = await db
    .update(emailOutbox)
    .set({
      attempts: sql`${emailOutbox.attempts} + 1`,
      lastAttemptAt: now,
      lockedUntil: now + DELIVERY_LEASE,
    })
    .where(
      and(
        eq(emailOutbox.id, outboxId),
        eq(emailOutbox.status, "pending"),
        or(isNull(emailOutbox.lockedUntil), lte(emailOutbox.lockedUntil, now)),
      ),
    )
    .returning();
  if (!row) return "skipped";
  try {
    const providerMessageId = await provider.send({
      from: config.EMAIL_FROM,
      to: row.toAddress,
      subject: row.subject,
      text: row.textBody,
    });
    await db
      .update(emailOutbox)
      .set({ status: "sent", sentAt: now, providerMessageId, lastError: null, lockedUntil: null })
      .where(eq(emailOutbox.id, outboxId));
    return "sent";
  } catch (error) {
    const permanent = error instanceof PermanentEmailError || row.attempts >= MAX_EMAIL_ATTEMPTS;
    await db
      .update(emailOutbox)
      .set({
        lastError: String(error).slice(0, 500),
        status: permanent ? "failed" : "pending",
        lockedUntil: null,
      })
      .where(eq(emailOutbox.id, outboxId));
    return permanent ? "failed" : "retry";
  }
}

export async function consumeEmailBatch(
  ctx: Pick<ServiceContext, "db" | "config" | "now">,
  batch: MessageBatch<EmailMessage>,
  provider: EmailProvider,
): Promise<void> {
  for (const message of batch.messages) {
    const outcome = await deliverEmail(ctx, provider, message.body.outbox_id);
    if (outcome === "retry") {
      // Exponential backoff: 30 s, 60 s, 120 s, … between attempts.
      message.retry({ delaySeconds: 30 * 2 ** Math.min(message.attempts - 1, 6) });
    } else {
      message.ack();
    }
  }
}
