import { eq } from "drizzle-orm";
import {
  type DeliveryChannel,
  type NotificationDeliveryRow,
  notifications,
  users,
} from "../db/schema";
import type { EmailProvider } from "../email/providers";
import type { NotificationDelivery } from "../env";
import type { ServiceContext } from "../lib/context";
import type { ChannelMessage, ChannelOutcome } from "./channels/deliver";
import { ChannelError } from "./channels/http";
import {
  type Attempt,
  claimDelivery,
  finishAttempt,
  MAX_DELIVERY_ATTEMPTS,
  markDeadLettered,
} from "./deliveries";
import { deliverByEmail } from "./email-channel";

export type ChannelSender = (
  ctx: ServiceContext,
  userId: string,
  message: ChannelMessage,
) => Promise<ChannelOutcome>;

/** How each channel is sent: email through the outbox's provider, SMS and push by their senders. */
export interface Senders {
  email: EmailProvider;
  sms: ChannelSender;
  push: ChannelSender;
}

/** Exponential backoff: 30 s, 60 s, 120 s, … (capped at 10 minutes, below the sweep's wait). */
export const deliveryBackoff = (attempts: number) => ({
  delaySeconds: Math.min(600, 30 * 2 ** Math.max(0, attempts - 1)),
});

/** One attempt at one delivery; answers how it ended without throwing. */
async function attempt(
  ctx: ServiceContext,
  senders: Senders,
  delivery: NotificationDeliveryRow,
): Promise<Attempt> {
  const [target] = await ctx.db
    .select({
      title: notifications.title,
      body: notifications.body,
      data: notifications.data,
      email: users.email,
      locale: users.locale,
      status: users.status,
    })
    .from(notifications)
    .innerJoin(users, eq(users.id, notifications.userId))
    .where(eq(notifications.id, delivery.notificationId));
  if (target?.status !== "active") {
    return { status: "skipped", error: "the account is not active" };
  }
  const channel: DeliveryChannel = delivery.channel;
  try {
    if (channel === "email") {
      return await deliverByEmail(ctx, senders.email, delivery, {
        userId: delivery.userId,
        ...target,
      });
    }
    const message = { title: target.title, body: target.body, data: target.data };
    const outcome = await senders[channel](ctx, delivery.userId, message);
    return outcome.status === "sent"
      ? { status: "sent", providerId: outcome.providerId }
      : { status: "skipped", error: outcome.reason };
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    if (error instanceof ChannelError && error.permanent) return { status: "failed", error: text };
    return { status: "retry", error: text };
  }
}

/**
 * Delivers one queued delivery. The row is claimed first, so a duplicate message, or one for a
 * delivery already sent, failed or skipped, does nothing; its status, attempts and last error
 * are recorded. Answers whether the message should come back (a retryable failure).
 */
export async function deliverNotification(
  ctx: ServiceContext,
  senders: Senders,
  deliveryId: string,
): Promise<"done" | "retry"> {
  const delivery = await claimDelivery(ctx.db, deliveryId, ctx.now);
  if (!delivery) return "done";
  let result = await attempt(ctx, senders, delivery);
  if (result.status === "retry" && delivery.attempts >= MAX_DELIVERY_ATTEMPTS) {
    result = { status: "failed", error: result.error };
  }
  await finishAttempt(ctx.db, deliveryId, result, ctx.now);
  return result.status === "retry" ? "retry" : "done";
}

export async function consumeNotificationDeliveries(
  ctx: ServiceContext,
  batch: MessageBatch<NotificationDelivery>,
  senders: Senders,
): Promise<void> {
  for (const message of batch.messages) {
    try {
      const outcome = await deliverNotification(ctx, senders, message.body.delivery_id);
      if (outcome === "retry") message.retry(deliveryBackoff(message.attempts));
      else message.ack();
    } catch (error) {
      // D1 itself failed: the row was not claimed or is released by its lease; try again.
      console.error(
        JSON.stringify({
          msg: "notification delivery failed",
          delivery: message.body.delivery_id,
          error: String(error),
        }),
      );
      message.retry(deliveryBackoff(message.attempts));
    }
  }
}

/** The dead-letter queue: deliveries that ran out of retries are recorded as failed. */
export async function consumeDeadNotificationDeliveries(
  ctx: ServiceContext,
  batch: MessageBatch<NotificationDelivery>,
): Promise<void> {
  for (const message of batch.messages) {
    await markDeadLettered(ctx.db, message.body.delivery_id, ctx.now);
    message.ack();
  }
}
