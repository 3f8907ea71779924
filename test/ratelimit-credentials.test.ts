// Who the limiter lets in: sessions ended and API keys revoked on the very next request, keys
// shown once, capped and expiring, forged keys refused before any object exists; and brute-force
// protection of logins and anonymous routes.
import {
  createExecutionContext,
  listDurableObjectIds,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import worker from "../src/index";
import { DAY, HOUR, MINUTE } from "../src/lib/time";
import { userSubject } from "../src/ratelimit/client";
import {
  api,
  count,
  login,
  mailedToken,
  PASSWORD,
  signup,
  signupAdmin,
  uniqueEmail,
} from "./helpers";
import { ping, T0 } from "./ratelimit-helpers";

describe("sessions and API keys", () => {
  it("logout-all stops existing access tokens on the very next request", async () => {
    const user = await signup("logoutall");
    const other = (await login(user.email)).body.access_token;
    expect((await ping(other)).status).toBe(200);
    expect((await api("POST", "/v1/auth/logout-all", { token: user.accessToken })).status).toBe(
      204,
    );
    expect((await ping(other)).status).toBe(401);
    expect((await ping(user.accessToken)).status).toBe(401);
    const fresh = (await login(user.email)).body.access_token;
    expect((await ping(fresh)).status).toBe(200);
  });

  it("creates a key shown once, authenticates with it, and revocation is immediate", async () => {
    const user = await signup("keys");
    const created = await api<{ id: string; key: string; prefix: string; name: string }>(
      "POST",
      "/v1/me/api-keys",
      {
        token: user.accessToken,
        body: { name: "ci" },
      },
    );
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^tgk_[0-9a-z]+_[A-Za-z0-9_-]{43}_[A-Za-z0-9_-]{22}$/);
    expect(created.body.prefix).toBe(
      `${created.body.key.slice(0, 12)}…${created.body.key.slice(-4)}`,
    );
    // Only the hash is stored.
    expect(
      await count("select count(*) as n from api_keys where key_hash = ?", created.body.key),
    ).toBe(0);

    const viaBearer = await ping(created.body.key);
    expect(viaBearer.status).toBe(200);
    expect(viaBearer.body).toMatchObject({
      user_id: user.id,
      authenticated_with: "api_key",
      api_key_id: created.body.id,
    });
    const viaHeader = await api("GET", "/v1/ping", { headers: { "x-api-key": created.body.key } });
    expect(viaHeader.status).toBe(200);

    const list = await api<{ data: { id: string; last_used_at: string | null; key?: string }[] }>(
      "GET",
      "/v1/me/api-keys",
      {
        token: user.accessToken,
      },
    );
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0]?.last_used_at).not.toBeNull();
    expect(list.body.data[0]?.key).toBeUndefined();

    const del = await api("DELETE", `/v1/me/api-keys/${created.body.id}`, {
      token: user.accessToken,
    });
    expect(del.status).toBe(204);
    const after = await ping(created.body.key);
    expect(after.status).toBe(401);
    expect(after.body.code).toBe("invalid_token");
    expect(
      (await api("DELETE", `/v1/me/api-keys/${created.body.id}`, { token: user.accessToken }))
        .status,
    ).toBe(404);
  });

  it("refuses forged, malformed and other users' keys, and hides other users' keys", async () => {
    const alice = await signup("alice");
    const bob = await signup("bob");
    const key = (
      await api<{ id: string; key: string }>("POST", "/v1/me/api-keys", {
        token: alice.accessToken,
        body: { name: "a" },
      })
    ).body;
    // Same owner, another secret.
    const forged = `${key.key.slice(0, -3)}AAA`;
    expect((await ping(forged)).status).toBe(401);
    expect((await ping("tgk_nonsense")).status).toBe(401);
    // Alice's key presented as if it were Bob's.
    const bobSuffix = bob.id.slice(4);
    const swapped = key.key.replace(/^tgk_[0-9a-z]+_/, `tgk_${bobSuffix}_`);
    expect((await ping(swapped)).status).toBe(401);
    // Bob cannot see or delete Alice's key.
    const bobList = await api<{ data: unknown[] }>("GET", "/v1/me/api-keys", {
      token: bob.accessToken,
    });
    expect(bobList.body.data).toEqual([]);
    expect(
      (await api("DELETE", `/v1/me/api-keys/${key.id}`, { token: bob.accessToken })).status,
    ).toBe(404);
    expect((await ping(key.key)).status).toBe(200);
  });

  it("refuses made-up keys in the isolate, before any object exists for them", async () => {
    const owner = "usr_zzzzzzzzzzzzzzzzzzzzzzzzzz";
    const made = `tgk_${owner.slice(4)}_${"A".repeat(43)}_${"B".repeat(22)}`;
    const res = await ping(made);
    expect(res.status).toBe(401);
    const ids = await listDurableObjectIds(env.RATE_LIMITER);
    const target = env.RATE_LIMITER.idFromName(userSubject(owner));
    expect(ids.some((id) => id.equals(target))).toBe(false);
  });

  it("a password reset revokes the account's API keys", async () => {
    const user = await signup("recovered");
    const { key } = (
      await api<{ key: string }>("POST", "/v1/me/api-keys", {
        token: user.accessToken,
        body: { name: "left behind" },
      })
    ).body;
    expect((await ping(key)).status).toBe(200);
    await api("POST", "/v1/auth/password/forgot", { body: { email: user.email } });
    const token = await mailedToken(user.email, "password_reset");
    const reset = await api("POST", "/v1/auth/password/reset", {
      body: { token, password: "a brand new passphrase" },
    });
    expect(reset.status).toBe(204);
    expect((await ping(key)).status).toBe(401);
    expect(
      await count(
        "select count(*) as n from api_keys where user_id = ? and revoked_at is null",
        user.id,
      ),
    ).toBe(0);
  });

  it("caps keys per plan and expires them on time", async () => {
    vi.setSystemTime(T0 + 2 * DAY);
    const user = await signup("cap");
    const expiresAt = new Date(T0 + 2 * DAY + HOUR).toISOString();
    const first = await api<{ key: string }>("POST", "/v1/me/api-keys", {
      token: user.accessToken,
      body: { name: "short", expires_at: expiresAt },
    });
    expect(first.status).toBe(201);
    expect(
      (await api("POST", "/v1/me/api-keys", { token: user.accessToken, body: { name: "two" } }))
        .status,
    ).toBe(201);
    const third = await api("POST", "/v1/me/api-keys", {
      token: user.accessToken,
      body: { name: "three" },
    });
    expect(third.status).toBe(403);
    expect(await count("select count(*) as n from api_keys where user_id = ?", user.id)).toBe(2);

    expect((await ping(first.body.key)).status).toBe(200);
    vi.setSystemTime(T0 + 2 * DAY + HOUR + 1);
    expect((await ping(first.body.key)).status).toBe(401);
    // An expired key no longer counts against the cap.
    const fresh = (await login(user.email)).body.access_token;
    expect(
      (await api("POST", "/v1/me/api-keys", { token: fresh, body: { name: "three" } })).status,
    ).toBe(201);
    const past = await api("POST", "/v1/me/api-keys", {
      token: fresh,
      body: { name: "past", expires_at: new Date(T0).toISOString() },
    });
    expect(past.status).toBe(400);
  });

  it("refuses a disabled or deleted account's API keys on the next request", async () => {
    const admin = await signupAdmin();
    const user = await signup("keyowner");
    const { key } = (
      await api<{ key: string }>("POST", "/v1/me/api-keys", {
        token: user.accessToken,
        body: { name: "k" },
      })
    ).body;
    expect((await ping(key)).status).toBe(200);
    await api("PATCH", `/v1/admin/users/${user.id}`, {
      token: admin.accessToken,
      body: { status: "disabled" },
    });
    const disabled = await ping(key);
    expect(disabled.status).toBe(403);
    expect(disabled.body.code).toBe("account_disabled");
    await api("PATCH", `/v1/admin/users/${user.id}`, {
      token: admin.accessToken,
      body: { status: "active" },
    });
    expect((await ping(key)).status).toBe(200);

    const fresh = (await login(user.email)).body.access_token;
    expect(
      (await api("DELETE", "/v1/me", { token: fresh, body: { password: PASSWORD } })).status,
    ).toBe(204);
    expect([401, 403]).toContain((await ping(key)).status);
    expect(
      await count(
        "select count(*) as n from api_keys where user_id = ? and revoked_at is null",
        user.id,
      ),
    ).toBe(0);
  });

  it("validates key requests", async () => {
    const user = await signup("keyinput");
    const bad = await api("POST", "/v1/me/api-keys", {
      token: user.accessToken,
      body: { name: "" },
    });
    expect(bad.status).toBe(400);
    const unknown = await api("POST", "/v1/me/api-keys", {
      token: user.accessToken,
      body: { name: "x", scope: "all" },
    });
    expect(unknown.status).toBe(400);
    expect(
      (await api("DELETE", "/v1/me/api-keys/not-an-id", { token: user.accessToken })).status,
    ).toBe(400);
    expect(await count("select count(*) as n from api_keys where user_id = ?", user.id)).toBe(0);
  });
});

describe("brute-force protection", () => {
  it("locks an email after 5 failed logins for 15 minutes, known or not", async () => {
    vi.setSystemTime(T0 + 3 * DAY);
    const user = await signup("victim");
    const ghost = uniqueEmail("ghost");
    for (const email of [user.email, ghost]) {
      for (let i = 0; i < 5; i++) {
        const res = await api("POST", "/v1/auth/login", {
          body: { email, password: "wrong password" },
        });
        expect(res.status).toBe(401);
      }
    }
    const locked = await api("POST", "/v1/auth/login", {
      body: { email: user.email, password: PASSWORD },
    });
    const lockedGhost = await api("POST", "/v1/auth/login", {
      body: { email: ghost, password: PASSWORD },
    });
    expect(locked.status).toBe(429);
    expect(lockedGhost.status).toBe(429);
    expect(locked.body.code).toBe("rate_limited");
    expect(locked.headers.get("retry-after")).toBe(String(15 * 60));
    // Same answer whether or not the email exists.
    expect(lockedGhost.body.violations).toEqual(locked.body.violations);
    vi.setSystemTime(T0 + 3 * DAY + 15 * MINUTE);
    expect((await login(user.email)).status).toBe(200);
  });

  it("counts parallel guesses: at most 5 of 20 simultaneous wrong logins are even tried", async () => {
    vi.setSystemTime(T0 + 3 * DAY + HOUR);
    const user = await signup("parallel");
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        api("POST", "/v1/auth/login", { body: { email: user.email, password: "wrong guess" } }),
      ),
    );
    expect(results.filter((r) => r.status === 401)).toHaveLength(5);
    expect(results.filter((r) => r.status === 429)).toHaveLength(15);
  });

  it("a right password gives its attempt back", async () => {
    vi.setSystemTime(T0 + 3 * DAY + 2 * HOUR);
    const user = await signup("regular");
    for (let i = 0; i < 8; i++) expect((await login(user.email)).status).toBe(200);
    for (let i = 0; i < 5; i++) {
      expect(
        (
          await api("POST", "/v1/auth/login", {
            body: { email: user.email, password: "nope nope" },
          })
        ).status,
      ).toBe(401);
    }
    expect((await login(user.email)).status).toBe(429);
  });

  it("limits anonymous routes per client IP", async () => {
    const lowLimits = { ...env, ANON_LIMIT_PER_MINUTE: "3" };
    const send = async (ip: string) => {
      const ctx = createExecutionContext();
      const request = new Request("https://api.test/v1/auth/password/forgot", {
        method: "POST",
        headers: { "content-type": "application/json", "cf-connecting-ip": ip },
        body: JSON.stringify({ email: uniqueEmail("ip") }),
      });
      const response = await worker.fetch(request, lowLimits, ctx);
      await waitOnExecutionContext(ctx);
      return response;
    };
    const ip = `203.0.113.${Math.floor(Math.random() * 250)}`;
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await send(ip)).status);
    expect(codes).toEqual([202, 202, 202, 429]);
    expect((await send("198.51.100.7")).status).toBe(202);
  });
});
