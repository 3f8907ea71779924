import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { ConfigError, type Env, loadConfig } from "../src/env";
import { MINUTE } from "../src/lib/time";
import { ChannelError } from "../src/notifications/channels/http";
import { deadToken, sendPush } from "../src/notifications/channels/push";
import { sendSms } from "../src/notifications/channels/sms";
import { FCM_SCOPE, installFakeFcm } from "./fakes/fcm";
import { installFakeTwilio, TWILIO_SID } from "./fakes/twilio";

const config = loadConfig(env);
const twilio = (overrides: Partial<typeof config> = {}) => ({
  config: { ...config, SMS_PROVIDER: "twilio" as const, ...overrides },
});
const fcm = (now: number) => ({ config: { ...config, PUSH_PROVIDER: "fcm" as const }, now });

async function thrown(promise: Promise<unknown>): Promise<ChannelError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ChannelError);
  return error as ChannelError;
}

describe("sendSms through Twilio", () => {
  it("posts To, From and Body with the account's basic auth and answers Twilio's sid", async () => {
    const fake = installFakeTwilio();
    const result = await sendSms(twilio(), { to: "+14155550123", body: "Your code is 1234" });
    expect(result.id).toMatch(/^SM[0-9a-f]{32}$/);
    expect(fake.messages).toEqual([
      {
        sid: result.id,
        to: "+14155550123",
        from: config.TWILIO_FROM,
        messagingServiceSid: null,
        body: "Your code is 1234",
      },
    ]);
    expect(fake.requests[0]?.path).toBe(`/2010-04-01/Accounts/${TWILIO_SID}/Messages.json`);
  });

  it("sends from the messaging service when one is configured", async () => {
    const fake = installFakeTwilio();
    await sendSms(twilio({ TWILIO_MESSAGING_SERVICE_SID: "MG123" }), {
      to: "+34600000001",
      body: "hola",
    });
    expect(fake.messages[0]).toMatchObject({ from: null, messagingServiceSid: "MG123" });
  });

  it("a refused number is a permanent error, a Twilio outage a retryable one", async () => {
    const fake = installFakeTwilio();
    const bad = await thrown(sendSms(twilio(), { to: "+1", body: "x" }));
    expect(bad.permanent).toBe(true);
    expect(bad.message).toContain("21211");
    fake.failNext(503, 20503, "Service unavailable");
    const outage = await thrown(sendSms(twilio(), { to: "+14155550123", body: "x" }));
    expect(outage.permanent).toBe(false);
    fake.failNext(429, 20429, "Too many requests");
    expect((await thrown(sendSms(twilio(), { to: "+14155550123", body: "x" }))).permanent).toBe(
      false,
    );
    expect(fake.messages).toHaveLength(0);
  });

  it("wrong credentials are refused by the fake and permanent", async () => {
    installFakeTwilio();
    const error = await thrown(
      sendSms(twilio({ TWILIO_AUTH_TOKEN: "wrong" }), { to: "+14155550123", body: "x" }),
    );
    expect(error.permanent).toBe(true);
    expect(error.message).toContain("401");
    expect(error.message).not.toContain("wrong");
  });

  it("the log provider prints the message and calls nobody", async () => {
    const fetchSpy = vi.spyOn(globalThis, "fetch");
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const result = await sendSms({ config }, { to: "+14155550123", body: "hello" });
    expect(result.id).toMatch(/^log_/);
    expect(fetchSpy).not.toHaveBeenCalled();
    expect(log.mock.calls[0]?.[0]).toContain("+14155550123");
  });
});

describe("sendPush through FCM", () => {
  const now = Date.UTC(2026, 5, 1, 12);

  it("sends to each token with an OAuth token from a signed JWT, cached until near expiry", async () => {
    const fake = installFakeFcm();
    const first = await sendPush(fcm(now), {
      tokens: ["tok-a", "tok-b"],
      title: "Hi",
      body: "There",
      data: { notification_id: "ntf_1", count: 2 },
    });
    expect(first).toEqual({ sent: ["tok-a", "tok-b"], dead: [], failed: [] });
    expect(fake.messages.map((m) => m.token).sort()).toEqual(["tok-a", "tok-b"]);
    expect(fake.messages[0]).toMatchObject({
      notification: { title: "Hi", body: "There" },
      data: { notification_id: "ntf_1", count: "2" },
    });
    expect(fake.exchanges).toHaveLength(1);
    expect(fake.exchanges[0]?.claims).toMatchObject({
      iss: fake.account.client_email,
      aud: fake.account.token_uri,
      scope: FCM_SCOPE,
      iat: now / 1000,
      exp: now / 1000 + 3600,
    });
    // 50 minutes on: still the same token. 56 minutes on (under 5 minutes left): a new one.
    await sendPush(fcm(now + 50 * MINUTE), { tokens: ["tok-a"], title: "t", body: "b" });
    expect(fake.exchanges).toHaveLength(1);
    await sendPush(fcm(now + 56 * MINUTE), { tokens: ["tok-a"], title: "t", body: "b" });
    expect(fake.exchanges).toHaveLength(2);
    expect(fake.messages).toHaveLength(4);
  });

  it("answers UNREGISTERED and invalid tokens as dead, other errors as failed", async () => {
    const fake = installFakeFcm();
    fake.unregistered.add("gone");
    fake.invalid.add("garbage");
    const result = await sendPush(fcm(now), {
      tokens: ["live", "gone", "garbage"],
      title: "t",
      body: "b",
    });
    expect(result).toEqual({ sent: ["live"], dead: ["gone", "garbage"], failed: [] });
    fake.failNext(503, "UNAVAILABLE", "try later", "UNAVAILABLE");
    const outage = await sendPush(fcm(now), { tokens: ["live"], title: "t", body: "b" });
    expect(outage.failed).toEqual([
      { token: "live", error: "FCM answered 503 UNAVAILABLE", permanent: false },
    ]);
  });

  it("a refused access token is forgotten: the next send makes a new one", async () => {
    const fake = installFakeFcm();
    await sendPush(fcm(now), { tokens: ["a"], title: "t", body: "b" });
    fake.revokeAccessTokens();
    const refused = await sendPush(fcm(now), { tokens: ["a"], title: "t", body: "b" });
    expect(refused.failed[0]).toMatchObject({ token: "a", permanent: false });
    const again = await sendPush(fcm(now), { tokens: ["a"], title: "t", body: "b" });
    expect(again.sent).toEqual(["a"]);
    expect(fake.exchanges).toHaveLength(2);
  });

  it("a token exchange Google refuses is a ChannelError", async () => {
    const fake = installFakeFcm();
    const other = { ...fake.account, client_email: "someone-else@example.iam.gserviceaccount.com" };
    const ctx = { config: { ...fcm(now).config, FCM_SERVICE_ACCOUNT: other }, now };
    const error = await thrown(sendPush(ctx, { tokens: ["a"], title: "t", body: "b" }));
    expect(error.permanent).toBe(true);
    expect(fake.exchanges[0]?.refused).toContain("iss");
    expect(fake.messages).toHaveLength(0);
  });

  it("the log provider sends to every token and calls nobody", async () => {
    const fetchSpy = vi.spyOn(globalThis, "fetch");
    vi.spyOn(console, "log").mockImplementation(() => {});
    const result = await sendPush({ config, now }, { tokens: ["x", "y"], title: "t", body: "b" });
    expect(result).toEqual({ sent: ["x", "y"], dead: [], failed: [] });
    expect(fetchSpy).not.toHaveBeenCalled();
  });
});

describe("deadToken", () => {
  const error = (status: string, message: string, extra: unknown[] = []) => ({
    error: { status, message, details: extra },
  });
  it.each([
    [404, error("NOT_FOUND", "Requested entity was not found."), true],
    [
      400,
      error("INVALID_ARGUMENT", "x", [
        {
          "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
          errorCode: "UNREGISTERED",
        },
      ]),
      true,
    ],
    [
      400,
      error("INVALID_ARGUMENT", "The registration token is not a valid FCM registration token"),
      true,
    ],
    [
      400,
      error("INVALID_ARGUMENT", "Invalid value", [
        {
          "@type": "type.googleapis.com/google.rpc.BadRequest",
          fieldViolations: [{ field: "message.token" }],
        },
      ]),
      true,
    ],
    [400, error("INVALID_ARGUMENT", 'Invalid JSON payload received. Unknown name "x"'), false],
    [403, error("PERMISSION_DENIED", "SenderId mismatch"), false],
    [503, error("UNAVAILABLE", "try later"), false],
  ])("status %i → dead %s", (status, body, dead) => {
    expect(deadToken(status, body)).toBe(dead);
  });
});

describe("SMS and push configuration", () => {
  const load = (vars: Record<string, string | undefined>) => () =>
    loadConfig({ ...env, ...vars } as Env);

  it.each([
    [{ SMS_PROVIDER: "twilio", TWILIO_AUTH_TOKEN: undefined }, "TWILIO_AUTH_TOKEN are required"],
    [{ SMS_PROVIDER: "twilio", TWILIO_FROM: undefined }, "TWILIO_FROM or TWILIO_MESSAGING"],
    [{ PUSH_PROVIDER: "fcm", FCM_SERVICE_ACCOUNT: undefined }, "FCM_SERVICE_ACCOUNT is required"],
    [{ FCM_SERVICE_ACCOUNT: "not json" }, "FCM_SERVICE_ACCOUNT must be the key file's JSON"],
    [
      { FCM_SERVICE_ACCOUNT: '{"project_id":"p","private_key":"-----BEGIN PRIVATE KEY-----"}' },
      "lacks a valid client_email",
    ],
    [{ SMS_PROVIDER: "carrier-pigeon" }, "SMS_PROVIDER:"],
  ])("%o is refused, naming what is missing", (vars, message) => {
    expect(load(vars)).toThrow(ConfigError);
    expect(load(vars)).toThrow(message);
  });

  it("a key file's private key never appears in the error", () => {
    const secret = "-----BEGIN PRIVATE KEY-----SECRETSECRET";
    expect(load({ FCM_SERVICE_ACCOUNT: JSON.stringify({ private_key: secret }) })).not.toThrow(
      "SECRETSECRET",
    );
  });

  it("both providers configured for real load", () => {
    const loaded = load({ SMS_PROVIDER: "twilio", PUSH_PROVIDER: "fcm" })();
    expect(loaded.FCM_SERVICE_ACCOUNT?.project_id).toBe("tollgate-test");
  });
});
