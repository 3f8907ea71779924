// Delivery on the other channels, from the queue: one delivery per wanted channel after the
// user's preferences, email through the outbox in the user's language, every delivery's status
// recorded, once only however often its message comes, retries with backoff, and the dead
// letters marked failed.
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { PermanentEmailError } from "../src/email/providers";
import type { NotificationDelivery } from "../src/env";
import worker from "../src/index";
import { ChannelError } from "../src/notifications/channels/http";
import {
  consumeNotificationDeliveries,
  deliverNotification,
  type Senders,
} from "../src/notifications/consumer";
import { MAX_DELIVERY_ATTEMPTS } from "../src/notifications/deliveries";
import { type NotifyInput, notify } from "../src/notifications/notify";
import { QUEUES } from "../src/queues";
import { api, count, type HeldQueues, holdQueues, signup, testContext } from "./helpers";
import { putSettings } from "./users-helpers";

let held: HeldQueues;
beforeEach(() => {
  held = holdQueues();
});

interface DeliveryRow {
  channel: string;
  status: string;
  attempts: number;
  last_error: string | null;
  provider_id: string | null;
}

async function deliveriesOf(notificationId: string): Promise<DeliveryRow[]> {
  const { results } = await env.DB.prepare(
    "select channel, status, attempts, last_error, provider_id from notification_deliveries where notification_id = ? order by channel",
  )
    .bind(notificationId)
    .all<DeliveryRow>();
  return results;
}

async function runQueue(queue: string, bodies: NotificationDelivery[], attempts = 1) {
  const batch = createMessageBatch<NotificationDelivery>(
    queue,
    bodies.map((body, i) => ({ id: `msg-${i}`, timestamp: new Date(), attempts, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  return getQueueResult(batch, ctx);
}

const emailsTo = (userId: string) =>
  env.DB.prepare(
    "select subject, text_body, status from email_outbox where user_id = ? and template = 'notification'",
  )
    .bind(userId)
    .all<{ subject: string; text_body: string; status: string }>()
    .then((r) => r.results);

/** A signed-up user notified once (system, in-app + email unless told); the id and the user. */
async function notifiedUser(input: Partial<NotifyInput> = {}) {
  const user = await signup();
  const id = (await notify(testContext(), user.id, {
    type: "system",
    title: "T",
    body: "B",
    ...input,
  })) as string;
  const delivery = held.deliveries[0] as NotificationDelivery;
  return { user, id, delivery };
}

/** Senders whose SMS and push skip, with the test's own for the channel it is about. */
const senders = (own: Partial<Senders>): Senders => ({
  email: { send: async () => "unused" },
  sms: async () => ({ status: "skipped", reason: "n/a" }),
  push: async () => ({ status: "skipped", reason: "n/a" }),
  ...own,
});

describe("notification delivery", () => {
  it("queues email by default, sends it once through the outbox however often the message comes", async () => {
    const user = await signup();
    const id = (await notify(testContext(), user.id, {
      type: "renewal",
      title: "Your subscription renewed",
      body: "Pro, until 1 December.",
    })) as string;
    expect(held.deliveries).toEqual([
      {
        delivery_id: expect.stringMatching(/^ndl_/),
        notification_id: id,
        user_id: user.id,
        channel: "email",
      },
    ]);
    const message = held.deliveries[0] as NotificationDelivery;
    // The same message twice in a batch, then again in another batch.
    const first = await runQueue(QUEUES.notificationDeliveries, [message, message]);
    expect(first.explicitAcks).toHaveLength(2);
    expect(first.retryMessages).toEqual([]);
    const second = await runQueue(QUEUES.notificationDeliveries, [message]);
    expect(second.explicitAcks).toHaveLength(1);

    const emails = await emailsTo(user.id);
    expect(emails).toHaveLength(1);
    expect(emails[0]).toMatchObject({ subject: "Your subscription renewed", status: "sent" });
    expect(emails[0]?.text_body).toContain("Pro, until 1 December.");
    expect(emails[0]?.text_body).toContain("email notifications are on");
    const [delivery] = await deliveriesOf(id);
    expect(delivery).toMatchObject({
      channel: "email",
      status: "sent",
      attempts: 1,
      last_error: null,
    });
    expect(delivery?.provider_id).toMatch(/^eml_/);
  });

  it("writes the email's fixed text in the user's language", async () => {
    const user = await signup();
    await env.DB.prepare("update users set locale = 'es' where id = ?").bind(user.id).run();
    await notify(testContext(), user.id, { type: "system", title: "Aviso", body: "Hola." });
    await runQueue(QUEUES.notificationDeliveries, held.deliveries);
    const [email] = await emailsTo(user.id);
    expect(email?.text_body).toContain("notificaciones por correo están activadas");
  });

  it("follows the user's channel and type preferences", async () => {
    const user = await signup();
    const ctx = testContext();
    const all = ["in_app", "email", "sms", "push"] as const;
    const res = await putSettings(user.accessToken, {
      email_notifications: false,
      in_app_notifications: false,
      push_notifications: false,
      notification_types: { usage: false },
    });
    expect(res.status, res.text).toBe(200);

    // A type turned off: nothing listed, nothing delivered (the row keeps its dedupe key only).
    expect(
      await notify(ctx, user.id, { type: "usage", title: "80%", body: "", channels: [...all] }),
    ).toMatch(/^ntf_/);
    // Channels turned off: only SMS is left of the four.
    const reminder = (await notify(ctx, user.id, {
      type: "reminder",
      title: "Call",
      body: "",
      channels: [...all],
    })) as string;
    expect(held.deliveries.map((d) => [d.notification_id, d.channel])).toEqual([[reminder, "sms"]]);
    // Billing stays in-app whatever the in-app switch says; its email still follows the switch.
    const billing = (await notify(ctx, user.id, {
      type: "billing",
      title: "Payment failed",
      body: "",
    })) as string;
    expect(held.deliveries).toHaveLength(1);
    const listed = await count(
      "select count(*) as n from notifications where user_id = ? and in_app = 1",
      user.id,
    );
    expect(listed).toBe(1);
    expect(
      await count("select count(*) as n from notifications where id = ? and in_app = 1", billing),
    ).toBe(1);
    expect(
      await count("select count(*) as n from notification_deliveries where user_id = ?", user.id),
    ).toBe(1);
  });

  it("sends SMS to the profile's phone and push to the user's devices; skips either without one", async () => {
    const user = await signup();
    const input = {
      type: "event" as const,
      title: "Starts soon",
      body: "",
      channels: ["sms", "push"] as ("sms" | "push")[],
    };
    const bare = (await notify(testContext(), user.id, input)) as string;
    await runQueue(QUEUES.notificationDeliveries, held.deliveries);
    expect(await deliveriesOf(bare)).toEqual([
      expect.objectContaining({
        channel: "push",
        status: "skipped",
        last_error: "no devices registered",
      }),
      expect.objectContaining({
        channel: "sms",
        status: "skipped",
        last_error: "no phone number on the profile",
      }),
    ]);

    const token = user.accessToken;
    expect((await api("PATCH", "/v1/me", { token, body: { phone: "+14155550123" } })).status).toBe(
      200,
    );
    const device = await api("POST", "/v1/me/devices", {
      token,
      body: { platform: "web", token: "fcm-token-1" },
    });
    expect(device.status, device.text).toBe(201);
    held.deliveries.length = 0;
    const reached = (await notify(testContext(), user.id, input)) as string;
    const result = await runQueue(QUEUES.notificationDeliveries, held.deliveries);
    expect(result.explicitAcks).toHaveLength(2);
    const [push, sms] = await deliveriesOf(reached);
    expect(push).toMatchObject({ channel: "push", status: "sent", attempts: 1, last_error: null });
    expect(sms).toMatchObject({ channel: "sms", status: "sent", attempts: 1, last_error: null });
    expect(sms?.provider_id).toMatch(/^log_/);
  });

  it("retries a failed send with backoff, records the error, and fails for good after the last attempt", async () => {
    const { id, delivery: message } = await notifiedUser();
    let calls = 0;
    const failing = senders({
      email: {
        send: async () => {
          calls++;
          throw new Error("provider answered 503");
        },
      },
    });
    const batch = createMessageBatch<NotificationDelivery>(QUEUES.notificationDeliveries, [
      { id: "m1", timestamp: new Date(), attempts: 2, body: message },
    ]);
    const [queued] = batch.messages;
    if (!queued) throw new Error("no message");
    const retry = vi.spyOn(queued, "retry");
    const ctx = createExecutionContext();
    await consumeNotificationDeliveries(testContext(), batch, failing);
    const result = await getQueueResult(batch, ctx);
    expect(result.retryMessages).toEqual([{ msgId: "m1" }]);
    // The message's second attempt waits twice the first delay.
    expect(retry).toHaveBeenCalledWith({ delaySeconds: 60 });
    expect(await deliveriesOf(id)).toEqual([
      expect.objectContaining({
        status: "queued",
        attempts: 1,
        last_error: expect.stringContaining("503"),
      }),
    ]);
    // The outbox gives up after its own 5 attempts (each once the lease has passed): so does the delivery.
    for (let i = 2; i <= 6; i++) {
      await deliverNotification(
        testContext(Date.now() + i * 10 * 60_000),
        failing,
        message.delivery_id,
      );
    }
    expect(await deliveriesOf(id)).toEqual([
      expect.objectContaining({ status: "failed", attempts: 5 }),
    ]);
    expect(calls).toBe(5);
  });

  it("an SMS or push send that keeps failing fails for good after the last attempt", async () => {
    const { id, delivery } = await notifiedUser({ type: "reminder", channels: ["sms"] });
    const deliveryId = delivery.delivery_id;
    const failing = senders({
      sms: async () => {
        throw new ChannelError("Twilio answered 503", false);
      },
    });
    for (let i = 1; i < MAX_DELIVERY_ATTEMPTS; i++) {
      expect(await deliverNotification(testContext(), failing, deliveryId)).toBe("retry");
    }
    expect(await deliverNotification(testContext(), failing, deliveryId)).toBe("done");
    expect(await deliveriesOf(id)).toEqual([
      expect.objectContaining({
        status: "failed",
        attempts: MAX_DELIVERY_ATTEMPTS,
        last_error: "Twilio answered 503",
      }),
    ]);
    expect(await deliverNotification(testContext(), failing, deliveryId)).toBe("done");
  });

  it("a permanent refusal fails the delivery at once", async () => {
    const { id, delivery } = await notifiedUser();
    const refusing = senders({
      email: {
        send: async () => {
          throw new PermanentEmailError("resend answered 422: invalid to");
        },
      },
    });
    expect(await deliverNotification(testContext(), refusing, delivery.delivery_id)).toBe("done");
    expect(await deliveriesOf(id)).toEqual([
      expect.objectContaining({
        status: "failed",
        attempts: 1,
        last_error: expect.stringContaining("422"),
      }),
    ]);
  });

  it("the dead-letter queue marks a delivery still queued as failed", async () => {
    const { id } = await notifiedUser();
    const result = await runQueue(QUEUES.notificationDeliveriesDlq, held.deliveries, 6);
    expect(result.explicitAcks).toHaveLength(1);
    expect(await deliveriesOf(id)).toEqual([
      expect.objectContaining({ status: "failed", last_error: "dead-lettered" }),
    ]);
  });

  it("a deleted or disabled account's deliveries are skipped", async () => {
    const user = await signup();
    const id = (await notify(testContext(), user.id, {
      type: "system",
      title: "T",
      body: "B",
    })) as string;
    await env.DB.prepare("update users set status = 'disabled' where id = ?").bind(user.id).run();
    await runQueue(QUEUES.notificationDeliveries, held.deliveries);
    expect(await deliveriesOf(id)).toEqual([
      expect.objectContaining({ status: "skipped", last_error: "the account is not active" }),
    ]);
    expect(
      await notify(testContext(), user.id, { type: "system", title: "T", body: "B" }),
    ).toBeNull();
  });
});
