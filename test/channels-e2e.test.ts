// SMS and push end to end: a notification's deliveries go through the queue consumer to the fake
// Twilio (the profile's phone) and the fake FCM (the registered devices); a token FCM reports
// dead loses its device; without a phone or a device the delivery is skipped, with the reason.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { Env, NotificationDelivery } from "../src/env";
import { notifySystem } from "../src/notifications/notices";
import { QUEUES } from "../src/queues";
import { installFakeFcm } from "./fakes/fcm";
import { installFakeTwilio } from "./fakes/twilio";
import {
  api,
  appEnv,
  type HeldQueues,
  holdQueues,
  runQueueBatch,
  signup,
  testContext,
} from "./helpers";

let held: HeldQueues;
beforeEach(() => {
  held = holdQueues();
});

/** The test bindings with real providers chosen (their fakes answer): a deployment's config. */
const providersEnv: Env = { ...appEnv, SMS_PROVIDER: "twilio", PUSH_PROVIDER: "fcm" };

const deliver = (bodies: NotificationDelivery[]) =>
  runQueueBatch(QUEUES.notificationDeliveries, bodies, providersEnv);

async function deliveries(userId: string) {
  const { results } = await env.DB.prepare(
    "select channel, status, last_error, provider_id from notification_deliveries where user_id = ? order by channel",
  )
    .bind(userId)
    .all<{
      channel: string;
      status: string;
      last_error: string | null;
      provider_id: string | null;
    }>();
  return results;
}

const paymentFailed = {
  kind: "payment_failed" as const,
  provider: "stripe",
  paymentId: "ch_e2e",
  plan: "Pro",
  amount: 2900,
  currency: "usd",
};

describe("SMS and push through the delivery queue", () => {
  it("texts the profile's phone and pushes to every device; a dead token's device is removed", async () => {
    const twilio = installFakeTwilio();
    const fcm = installFakeFcm();
    const user = await signup("e2e");
    await api("PATCH", "/v1/me", { token: user.accessToken, body: { phone: "+14155550123" } });
    const devices = [];
    for (const [platform, token] of [
      ["ios", `live-${user.id}`],
      ["android", `gone-${user.id}`],
    ]) {
      const res = await api<{ id: string }>("POST", "/v1/me/devices", {
        token: user.accessToken,
        body: { platform, token },
      });
      devices.push(res.body.id);
    }
    fcm.unregistered.add(`gone-${user.id}`);

    await notifySystem(testContext(), user.id, paymentFailed);
    expect(held.deliveries.map((d) => d.channel).sort()).toEqual(["push", "sms"]);
    const result = await deliver(held.deliveries);
    expect(result.explicitAcks).toHaveLength(2);

    expect(twilio.messages).toEqual([
      expect.objectContaining({
        to: "+14155550123",
        body: "Your payment failed\nWe could not charge $29.00 for your Pro subscription. Update your payment method to keep your access.",
      }),
    ]);
    expect(fcm.messages.map((m) => [m.token, m.notification.title])).toEqual([
      [`live-${user.id}`, "Your payment failed"],
    ]);
    expect(await deliveries(user.id)).toEqual([
      { channel: "push", status: "sent", last_error: null, provider_id: "fcm:1/2 devices" },
      { channel: "sms", status: "sent", last_error: null, provider_id: twilio.messages[0]?.sid },
    ]);
    // The dead token's device is gone; the live one stays.
    const listed = await api<{ data: { id: string }[] }>("GET", "/v1/me/devices", {
      token: user.accessToken,
    });
    expect(listed.body.data.map((d) => d.id)).toEqual([devices[0]]);
    // The same messages again: nothing sent twice.
    await deliver(held.deliveries);
    expect(twilio.messages).toHaveLength(1);
    expect(fcm.messages).toHaveLength(1);
  });

  it("skips SMS without a phone and push without a device, saying why", async () => {
    const twilio = installFakeTwilio();
    const fcm = installFakeFcm();
    const user = await signup("e2e-none");
    await notifySystem(testContext(), user.id, { ...paymentFailed, paymentId: "ch_none" });
    await deliver(held.deliveries);
    expect(await deliveries(user.id)).toEqual([
      {
        channel: "push",
        status: "skipped",
        last_error: "no devices registered",
        provider_id: null,
      },
      {
        channel: "sms",
        status: "skipped",
        last_error: "no phone number on the profile",
        provider_id: null,
      },
    ]);
    expect(twilio.requests).toHaveLength(0);
    expect(fcm.exchanges).toHaveLength(0);
  });
});
