// deliverSms / deliverPush: the destination (profile phone, registered devices), skipping without
// one, and dead device tokens forgotten as FCM reports them.
import { describe, expect, it } from "vitest";
import { deliverPush, deliverSms, smsText } from "../src/notifications/channels/deliver";
import { ChannelError } from "../src/notifications/channels/http";
import { registerDevice } from "../src/notifications/devices";
import { installFakeFcm } from "./fakes/fcm";
import { installFakeTwilio } from "./fakes/twilio";
import { insertUser } from "./fixtures";
import { count, testContext } from "./helpers";

const real = () => {
  const ctx = testContext();
  return {
    ...ctx,
    config: { ...ctx.config, SMS_PROVIDER: "twilio" as const, PUSH_PROVIDER: "fcm" as const },
  };
};
const message = { title: "Payment failed", body: "Update your card", data: { kind: "test" } };

describe("deliverSms", () => {
  it("sends to the profile's phone", async () => {
    const twilio = installFakeTwilio();
    const user = await insertUser({ phone: "+14155550123" });
    const outcome = await deliverSms(real(), user.id, message);
    expect(outcome).toEqual({ status: "sent", providerId: twilio.messages[0]?.sid });
    expect(twilio.messages[0]).toMatchObject({
      to: "+14155550123",
      body: "Payment failed\nUpdate your card",
    });
  });

  it("is skipped, with the reason, without a phone", async () => {
    const twilio = installFakeTwilio();
    const user = await insertUser();
    expect(await deliverSms(real(), user.id, message)).toEqual({
      status: "skipped",
      reason: "no phone number on the profile",
    });
    expect(twilio.requests).toHaveLength(0);
  });

  it("a long text is cut to Twilio's 1600 characters", () => {
    const text = smsText({ title: "t", body: "x".repeat(2000) });
    expect(text).toHaveLength(1600);
    expect(text.endsWith("…")).toBe(true);
  });
});

describe("deliverPush", () => {
  it("sends to every device; a dead token's device is removed", async () => {
    const fcm = installFakeFcm();
    const user = await insertUser();
    const ctx = real();
    for (const token of ["live-1", "gone", "garbage"]) {
      await registerDevice(ctx, user.id, { platform: "android", token: `${user.id}-${token}` });
    }
    fcm.unregistered.add(`${user.id}-gone`);
    fcm.invalid.add(`${user.id}-garbage`);
    const outcome = await deliverPush(ctx, user.id, message);
    expect(outcome).toEqual({ status: "sent", providerId: "fcm:1/3 devices" });
    expect(fcm.messages.map((m) => m.token)).toEqual([`${user.id}-live-1`]);
    expect(fcm.messages[0]?.data).toEqual({ kind: "test" });
    const left = await count("select count(*) as n from devices where user_id = ?", user.id);
    expect(left).toBe(1);
  });

  it("skipped without devices; skipped (and all removed) when every token is dead", async () => {
    const fcm = installFakeFcm();
    const user = await insertUser();
    const ctx = real();
    expect(await deliverPush(ctx, user.id, message)).toEqual({
      status: "skipped",
      reason: "no devices registered",
    });
    await registerDevice(ctx, user.id, { platform: "ios", token: `${user.id}-old` });
    fcm.unregistered.add(`${user.id}-old`);
    expect((await deliverPush(ctx, user.id, message)).status).toBe("skipped");
    expect(await count("select count(*) as n from devices where user_id = ?", user.id)).toBe(0);
  });

  it("an FCM outage with nothing sent is thrown for a retry, and removes nothing", async () => {
    const fcm = installFakeFcm();
    const user = await insertUser();
    const ctx = real();
    await registerDevice(ctx, user.id, { platform: "web", token: `${user.id}-a` });
    fcm.failNext(503, "UNAVAILABLE", "try later", "UNAVAILABLE");
    const error = await deliverPush(ctx, user.id, message).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChannelError);
    expect((error as ChannelError).permanent).toBe(false);
    expect(await count("select count(*) as n from devices where user_id = ?", user.id)).toBe(1);
  });
});
