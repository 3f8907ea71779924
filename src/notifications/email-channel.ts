import { eq } from "drizzle-orm";
import { runBatch } from "../db";
import { emailOutbox, type NotificationDeliveryRow, notificationDeliveries } from "../db/schema";
import { deliverEmail } from "../email/consumer";
import { outboxInsert } from "../email/outbox";
import type { EmailProvider } from "../email/providers";
import { isLocale } from "../i18n";
import type { ServiceContext } from "../lib/context";
import type { Attempt } from "./deliveries";

/** What the email channel needs of a notification and its recipient. */
export interface EmailTarget {
  userId: string;
  email: string;
  /** The profile's language, for the email's fixed texts (English when it has none). */
  locale: string | null;
  title: string;
  body: string;
}

/**
 * The email channel, through the outbox: the delivery's first attempt writes the outbox row
 * and remembers its id (one batch); every attempt then sends that one row with the outbox's own
 * delivery, which claims it, so the email goes once however often this runs. The outbox row's
 * status is the delivery's.
 */
export async function deliverByEmail(
  ctx: Pick<ServiceContext, "db" | "config" | "now">,
  provider: EmailProvider,
  delivery: NotificationDeliveryRow,
  target: EmailTarget,
): Promise<Attempt> {
  const { db, now } = ctx;
  let outboxId = delivery.providerId;
  if (!outboxId) {
    const email = outboxInsert(
      db,
      {
        userId: target.userId,
        to: target.email,
        template: "notification",
        vars: { title: target.title, body: target.body },
        locale: isLocale(target.locale) ? target.locale : null,
      },
      now,
    );
    await runBatch(db, [
      email.statement,
      db
        .update(notificationDeliveries)
        .set({ providerId: email.id })
        .where(eq(notificationDeliveries.id, delivery.id)),
    ]);
    outboxId = email.id;
  }
  const outcome = await deliverEmail(ctx, provider, outboxId);
  if (outcome === "sent") return { status: "sent", providerId: outboxId };
  const [row] = await db
    .select({ status: emailOutbox.status, lastError: emailOutbox.lastError })
    .from(emailOutbox)
    .where(eq(emailOutbox.id, outboxId));
  // "skipped": the outbox row was sent, failed, or is being sent by the outbox's own sweep.
  if (row?.status === "sent") return { status: "sent", providerId: outboxId };
  const error = row?.lastError ?? "the outbox email is gone";
  if (!row || row.status === "failed") return { status: "failed", providerId: outboxId, error };
  return { status: "retry", error };
}
