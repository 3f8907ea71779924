// The caller's devices (POST/GET/DELETE /v1/me/devices): registration, re-registration, the
// token moving between accounts, the limit, validation and isolation.
import { describe, expect, it } from "vitest";
import { MAX_DEVICES, registerDevice } from "../src/notifications/devices";
import { api, count, expectProblem, signup, testContext } from "./helpers";

interface DeviceBody {
  id: string;
  platform: string;
  token: string;
  created_at: string;
  last_seen_at: string;
}

const register = (token: string, body: unknown) =>
  api<DeviceBody>("POST", "/v1/me/devices", { token, body });
const list = (token: string) => api<{ data: DeviceBody[] }>("GET", "/v1/me/devices", { token });
const fcmToken = (label: string) => `fcm-${label}-${crypto.randomUUID()}`;

describe("POST /v1/me/devices", () => {
  it("registers a device (201) and lists it", async () => {
    const user = await signup();
    const token = fcmToken("phone");
    const res = await register(user.accessToken, { platform: "ios", token });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^dev_[0-9a-z]{26}$/),
      platform: "ios",
      token,
      created_at: expect.any(String),
      last_seen_at: res.body.created_at,
    });
    const listed = await list(user.accessToken);
    expect(listed.status).toBe(200);
    expect(listed.body.data).toEqual([res.body]);
  });

  it("the same token again answers the existing device (200), refreshed, not a second one", async () => {
    const user = await signup();
    const token = fcmToken("again");
    const first = await register(user.accessToken, { platform: "android", token });
    const again = await register(user.accessToken, { platform: "web", token });
    expect(again.status, again.text).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect(again.body.platform).toBe("web");
    expect(again.body.created_at).toBe(first.body.created_at);
    expect((await list(user.accessToken)).body.data).toHaveLength(1);
  });

  it("a token registered by another account moves to the new one", async () => {
    const alice = await signup("alice");
    const bob = await signup("bob");
    const token = fcmToken("shared");
    await register(alice.accessToken, { platform: "android", token });
    const res = await register(bob.accessToken, { platform: "android", token });
    expect(res.status).toBe(201);
    expect((await list(alice.accessToken)).body.data).toEqual([]);
    expect((await list(bob.accessToken)).body.data.map((d) => d.token)).toEqual([token]);
  });

  it(`keeps at most ${MAX_DEVICES} devices: the one seen longest ago goes`, async () => {
    const user = await signup();
    const start = Date.now() - 60_000;
    const tokens = Array.from({ length: MAX_DEVICES }, (_, i) => fcmToken(String(i)));
    for (const [i, token] of tokens.entries()) {
      await registerDevice(testContext(start + i), user.id, { platform: "web", token });
    }
    // The oldest one comes back (seen now): the second oldest is the one to go.
    const [oldest = "", second = ""] = tokens;
    await registerDevice(testContext(start + MAX_DEVICES), user.id, {
      platform: "web",
      token: oldest,
    });
    const newest = fcmToken("newest");
    expect((await register(user.accessToken, { platform: "ios", token: newest })).status).toBe(201);
    const kept = (await list(user.accessToken)).body.data.map((d) => d.token);
    expect(kept).toHaveLength(MAX_DEVICES);
    expect(kept).not.toContain(second);
    expect(kept).toContain(oldest);
    expect(kept).toContain(newest);
  });

  it.each([
    [{ platform: "blackberry", token: "t" }, "platform"],
    [{ platform: "ios" }, "token"],
    [{ platform: "ios", token: "" }, "token"],
    [{ platform: "ios", token: "has spaces" }, "token"],
    [{ platform: "ios", token: "x".repeat(4097) }, "token"],
    [{ platform: "ios", token: "t", extra: 1 }, ""],
  ])("%o → 400 naming %s, nothing stored", async (body, path) => {
    const user = await signup();
    const problem = expectProblem(await register(user.accessToken, body), 400, "invalid_request");
    expect(problem.errors?.map((e) => e.path)).toContain(path);
    expect(await count("select count(*) as n from devices where user_id = ?", user.id)).toBe(0);
  });

  it("needs a token", async () => {
    expectProblem(
      await api("POST", "/v1/me/devices", { body: { platform: "ios", token: "t" } }),
      401,
      "unauthorized",
    );
  });
});

describe("DELETE /v1/me/devices/{id}", () => {
  it("forgets the device (204), then 404", async () => {
    const user = await signup();
    const { body } = await register(user.accessToken, { platform: "ios", token: fcmToken("d") });
    const res = await api("DELETE", `/v1/me/devices/${body.id}`, { token: user.accessToken });
    expect(res.status, res.text).toBe(204);
    expect((await list(user.accessToken)).body.data).toEqual([]);
    const again = await api("DELETE", `/v1/me/devices/${body.id}`, { token: user.accessToken });
    expectProblem(again, 404, "not_found");
  });

  it("another user's device is a 404 and stays", async () => {
    const owner = await signup("owner");
    const other = await signup("other");
    const { body } = await register(owner.accessToken, { platform: "ios", token: fcmToken("o") });
    const res = await api("DELETE", `/v1/me/devices/${body.id}`, { token: other.accessToken });
    expectProblem(res, 404, "not_found");
    expect((await list(owner.accessToken)).body.data).toHaveLength(1);
    expect((await list(other.accessToken)).body.data).toEqual([]);
  });

  it("a malformed id is a 400 naming it", async () => {
    const user = await signup();
    const res = await api("DELETE", "/v1/me/devices/usr_abc", { token: user.accessToken });
    expect(expectProblem(res, 400, "invalid_request").errors?.map((e) => e.path)).toContain("id");
  });
});
