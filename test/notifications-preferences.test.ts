// Which channels a notification goes to: the caller's request, filtered by the user's channel
// and type switches; system and billing notices cannot be turned off and always stay in-app.
import { describe, expect, it } from "vitest";
import { defaultSettings, type UserSettings } from "../src/db/user-settings";
import { wantedChannels } from "../src/notifications/preferences";
import { api, expectProblem, signup } from "./helpers";

const settings = (patch: Partial<UserSettings> = {}): UserSettings => ({
  ...defaultSettings(),
  ...patch,
});
const ALL = ["in_app", "email", "sms", "push"] as const;

describe("wantedChannels", () => {
  it("defaults to in-app and email, each once, in the order asked", () => {
    expect(wantedChannels(settings(), "renewal")).toEqual(["in_app", "email"]);
    expect(wantedChannels(settings(), "event", ["push", "push", "in_app"])).toEqual([
      "push",
      "in_app",
    ]);
  });

  it("drops the channels that are off, and everything of a type that is off", () => {
    const off = settings({ email_notifications: false, sms_notifications: false });
    expect(wantedChannels(off, "reminder", [...ALL])).toEqual(["in_app", "push"]);
    const noUsage = settings({
      notification_types: { ...defaultSettings().notification_types, usage: false },
    });
    expect(wantedChannels(noUsage, "usage", [...ALL])).toEqual([]);
    expect(wantedChannels(noUsage, "expiry", [...ALL])).toEqual([...ALL]);
  });

  it("keeps system and billing in-app whatever the in-app switch says", () => {
    const quiet = settings({
      in_app_notifications: false,
      email_notifications: false,
      sms_notifications: false,
      push_notifications: false,
    });
    expect(wantedChannels(quiet, "billing", [...ALL])).toEqual(["in_app"]);
    expect(wantedChannels(quiet, "system")).toEqual(["in_app"]);
    expect(wantedChannels(quiet, "renewal", [...ALL])).toEqual([]);
    // Only when in-app is asked for at all.
    expect(wantedChannels(quiet, "billing", ["email"])).toEqual([]);
  });
});

describe("notification preferences in /v1/me/settings", () => {
  it("refuses to turn off system or billing notices, naming the field, in the request's language", async () => {
    const user = await signup();
    const body = { notification_types: { system: false, renewal: false } };
    const en = expectProblem(
      await api("PUT", "/v1/me/settings", { token: user.accessToken, body }),
      400,
      "invalid_request",
    );
    expect(en.errors).toEqual([
      {
        path: "notification_types.system",
        message: "cannot be turned off: account and billing notices always reach you",
      },
    ]);
    const es = expectProblem(
      await api("PUT", "/v1/me/settings", {
        token: user.accessToken,
        body: { notification_types: { billing: false } },
        headers: { "accept-language": "es" },
      }),
      400,
      "invalid_request",
    );
    expect(es.errors?.[0]?.path).toBe("notification_types.billing");
    expect(es.errors?.[0]?.message).toMatch(/^no se puede desactivar/);
    const unknown = expectProblem(
      await api("PUT", "/v1/me/settings", {
        token: user.accessToken,
        body: { notification_types: { marketing: false } },
      }),
      400,
      "invalid_request",
    );
    expect(unknown.errors?.[0]?.path).toBe("notification_types");
    const ok = await api<UserSettings>("PUT", "/v1/me/settings", {
      token: user.accessToken,
      body: { sms_notifications: false, notification_types: { renewal: false } },
    });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.notification_types).toMatchObject({ system: true, renewal: false, usage: true });
    expect(ok.body.sms_notifications).toBe(false);
  });
});
