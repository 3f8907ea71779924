import {
  createExecutionContext,
  listDurableObjectIds,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../src/index";
import { DAY, HOUR, MINUTE } from "../src/lib/time";
import { pushPolicyBeforeCommit, userSubject } from "../src/ratelimit/client";
import {
  api,
  count,
  limiterStub,
  login,
  mailedToken,
  PASSWORD,
  signup,
  signupAdmin,
  uniqueEmail,
} from "./helpers";

afterEach(() => {
  vi.useRealTimers();
});

// A quiet moment: the first second of a month, so no window rolls over mid-test by accident.
const T0 = Date.parse("2031-01-01T00:00:00Z");

async function ping(token: string, headers: Record<string, string> = {}) {
  return api("GET", "/v1/ping", { token, headers });
}

async function statuses(token: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await ping(token)).status);
  return out;
}

describe("exactness", () => {
  it("admits exactly the limit out of limit + 50 simultaneous requests", async () => {
    vi.setSystemTime(T0 + 5 * MINUTE);
    const user = await signup("burst");
    // The free plan allows 20 a minute.
    const results = await Promise.all(Array.from({ length: 70 }, () => ping(user.accessToken)));
    const admitted = results.filter((r) => r.status === 200).length;
    const limited = results.filter((r) => r.status === 429).length;
    expect(admitted).toBe(20);
    expect(limited).toBe(50);
    const usage = await api<{ windows: { minute: { used: number } } }>("GET", "/v1/me/usage", {
      token: user.accessToken,
    });
    // The usage call itself is over the minute limit too: denied, and it counted nothing.
    expect(usage.status).toBe(429);
  });

  it("holds under concurrency with a cost above one", async () => {
    vi.setSystemTime(T0 + 7 * MINUTE);
    const user = await signup("costly");
    await pushPolicyBeforeCommit(
      env,
      user.id,
      { limits: { minute: 35, hour: null, day: null, month: null } },
      T0,
    );
    // Export costs 10: of 8 concurrent exports, exactly 3 fit in 35.
    const results = await Promise.all(
      Array.from({ length: 8 }, () => api("GET", "/v1/me/export", { token: user.accessToken })),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(3);
    // 5 left: five pings fit, the sixth does not.
    expect(await statuses(user.accessToken, 6)).toEqual([200, 200, 200, 200, 200, 429]);
  });
});

describe("windows", () => {
  it("rolls over minute, hour, day and month, each blocking in turn", async () => {
    vi.setSystemTime(T0);
    const user = await signup("windows");
    await pushPolicyBeforeCommit(
      env,
      user.id,
      { limits: { minute: 3, hour: 5, day: 7, month: 9 } },
      T0,
    );

    expect(await statuses(user.accessToken, 4)).toEqual([200, 200, 200, 429]);
    vi.setSystemTime(T0 + MINUTE);
    expect(await statuses(user.accessToken, 3)).toEqual([200, 200, 429]);
    const hourly = await ping(user.accessToken);
    expect(hourly.body).toMatchObject({ code: "rate_limited" });
    expect((hourly.body.violations as { window: string }[]).map((v) => v.window)).toEqual(["hour"]);

    vi.setSystemTime(T0 + HOUR);
    // Tokens live 15 minutes: log in again after time moves on.
    const again = (await login(user.email)).body.access_token;
    expect(await statuses(again, 3)).toEqual([200, 200, 429]);
    vi.setSystemTime(T0 + DAY);
    const nextDay = (await login(user.email)).body.access_token;
    expect(await statuses(nextDay, 3)).toEqual([200, 200, 429]);
    const monthly = await ping(nextDay);
    expect((monthly.body.violations as { window: string }[]).map((v) => v.window)).toEqual([
      "month",
    ]);
    vi.setSystemTime(Date.parse("2031-02-01T00:00:00Z"));
    const nextMonth = (await login(user.email)).body.access_token;
    expect(await statuses(nextMonth, 1)).toEqual([200]);
  });

  it("answers 429 with Retry-After and the violated windows, and denied requests are free", async () => {
    vi.setSystemTime(T0 + 10 * MINUTE + 15_000);
    const user = await signup("retry");
    await pushPolicyBeforeCommit(
      env,
      user.id,
      { limits: { minute: 2, hour: 2, day: null, month: null } },
      T0,
    );
    await statuses(user.accessToken, 2);
    const denied = await ping(user.accessToken);
    expect(denied.status).toBe(429);
    expect(denied.headers.get("content-type")).toBe("application/problem+json");
    // Both minute and hour are full: room again only when the hour ends.
    expect(denied.headers.get("retry-after")).toBe(String(50 * 60 - 15));
    expect(denied.body.violations).toEqual([
      { window: "minute", limit: 2, used: 2, reset_at: new Date(T0 + 11 * MINUTE).toISOString() },
      { window: "hour", limit: 2, used: 2, reset_at: new Date(T0 + HOUR).toISOString() },
    ]);
    for (let i = 0; i < 5; i++) await ping(user.accessToken);
    const snapshot = await limiterStub(userSubject(user.id)).snapshot(
      userSubject(user.id),
      T0 + 11 * MINUTE,
    );
    expect(snapshot.windows.find((w) => w.window === "hour")?.used).toBe(2);
  });

  it("sends RateLimit-Policy and RateLimit on every limited response", async () => {
    vi.setSystemTime(T0 + 20 * MINUTE + 30_000);
    const user = await signup("headers");
    const res = await ping(user.accessToken);
    expect(res.status).toBe(200);
    expect(res.headers.get("ratelimit-policy")).toBe(
      '"minute";q=20;w=60, "hour";q=100;w=3600, "day";q=1000;w=86400, "month";q=20000;w=2678400',
    );
    expect(res.headers.get("ratelimit")).toBe('"minute";r=19;t=30');
    const me = await api("GET", "/v1/me", { token: user.accessToken });
    expect(me.headers.get("ratelimit")).toBe('"minute";r=18;t=30');
    const health = await api("GET", "/health");
    expect(health.headers.get("ratelimit")).toBeNull();
  });

  it("applies pushed limits on the next request without resetting counts", async () => {
    vi.setSystemTime(T0 + 30 * MINUTE);
    const user = await signup("pushed");
    await pushPolicyBeforeCommit(
      env,
      user.id,
      { limits: { minute: 3, hour: null, day: null, month: null } },
      T0,
    );
    expect(await statuses(user.accessToken, 4)).toEqual([200, 200, 200, 429]);
    await pushPolicyBeforeCommit(
      env,
      user.id,
      { limits: { minute: 5, hour: null, day: null, month: null } },
      T0,
    );
    expect(await statuses(user.accessToken, 3)).toEqual([200, 200, 429]);
  });

  it("resets the month on the billing anchor", async () => {
    const anchor = Date.parse("2031-01-15T12:00:00Z");
    vi.setSystemTime(anchor + DAY);
    const user = await signup("anchor");
    await pushPolicyBeforeCommit(
      env,
      user.id,
      { limits: { minute: null, hour: null, day: null, month: 2 }, billingAnchor: anchor },
      T0,
    );
    expect(await statuses(user.accessToken, 3)).toEqual([200, 200, 429]);
    vi.setSystemTime(Date.parse("2031-02-15T11:59:00Z"));
    const before = (await login(user.email)).body.access_token;
    expect(await statuses(before, 1)).toEqual([429]);
    vi.setSystemTime(Date.parse("2031-02-15T12:00:00Z"));
    const after = (await login(user.email)).body.access_token;
    const res = await ping(after);
    expect(res.status).toBe(200);
    expect((res.body.windows as { month: { reset_at: string } }).month.reset_at).toBe(
      "2031-03-15T12:00:00.000Z",
    );
  });
});

describe("billing standing", () => {
  it("past_due passes with a warning header", async () => {
    const user = await signup("pastdue");
    await pushPolicyBeforeCommit(env, user.id, { standing: "past_due" }, Date.now());
    const res = await ping(user.accessToken);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-billing-standing")).toBe("past_due");
    expect(res.body.standing).toBe("past_due");
  });

  it("restricted falls back to the free plan's limits", async () => {
    vi.setSystemTime(T0 + 40 * MINUTE);
    const user = await signup("restricted");
    const big = { minute: 1000, hour: null, day: null, month: null };
    const small = { minute: 2, hour: null, day: null, month: null };
    await pushPolicyBeforeCommit(
      env,
      user.id,
      { limits: big, freeLimits: small, standing: "restricted" },
      T0,
    );
    expect(await statuses(user.accessToken, 3)).toEqual([200, 200, 429]);
    await pushPolicyBeforeCommit(env, user.id, { standing: "good" }, T0);
    expect(await statuses(user.accessToken, 1)).toEqual([200]);
  });

  it("suspended answers 402 except on auth, billing and /v1/me routes, and charges nothing", async () => {
    vi.setSystemTime(T0 + 50 * MINUTE);
    const user = await signup("suspended");
    await pushPolicyBeforeCommit(env, user.id, { standing: "suspended" }, T0);
    const res = await ping(user.accessToken);
    expect(res.status).toBe(402);
    expect(res.body.code).toBe("payment_required");
    const me = await api("GET", "/v1/me", { token: user.accessToken });
    expect(me.status).toBe(200);
    const usage = await api<{ windows: { minute: { used: number } }; standing: string }>(
      "GET",
      "/v1/me/usage",
      {
        token: user.accessToken,
      },
    );
    expect(usage.body.standing).toBe("suspended");
    // The two /v1/me calls counted; the refused ping did not.
    expect(usage.body.windows.minute.used).toBe(2);
    expect((await api("POST", "/v1/auth/logout-all", { token: user.accessToken })).status).toBe(
      204,
    );
  });
});

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

describe("usage", () => {
  it("reports windows, standing and 30 days of history", async () => {
    vi.setSystemTime(T0 + 4 * DAY + 3 * HOUR);
    const user = await signup("usage");
    await statuses(user.accessToken, 3);
    const res = await api<{
      plan: string;
      standing: string;
      windows: Record<
        string,
        { used: number; limit: number | null; remaining: number | null; reset_at: string }
      >;
      history: { date: string; allowed: number; denied: number }[];
    }>("GET", "/v1/me/usage", { token: user.accessToken });
    expect(res.status).toBe(200);
    expect(res.body.plan).toBe("free");
    expect(res.body.standing).toBe("good");
    expect(res.body.windows.hour).toEqual({
      used: 4,
      limit: 100,
      remaining: 96,
      reset_at: new Date(T0 + 4 * DAY + 4 * HOUR).toISOString(),
    });
    expect(res.body.history).toHaveLength(30);
    expect(res.body.history.at(-1)).toEqual({ date: "2031-01-05", allowed: 4, denied: 0 });
  });

  it("flushes closed hours to D1 idempotently", async () => {
    vi.setSystemTime(T0 + 5 * DAY + 2 * HOUR);
    const user = await signup("flush");
    await pushPolicyBeforeCommit(
      env,
      user.id,
      { limits: { minute: 2, hour: null, day: null, month: null } },
      T0,
    );
    await statuses(user.accessToken, 3);
    const stub = limiterStub(userSubject(user.id));
    const later = T0 + 5 * DAY + 3 * HOUR + 10_000;
    expect(await stub.flush(later)).toEqual({ hours: 1, keys: 0 });
    expect(await stub.flush(later)).toEqual({ hours: 0, keys: 0 });
    const rows = await env.DB.prepare(
      "select hour, allowed, denied from usage_hourly where subject = ?",
    )
      .bind(userSubject(user.id))
      .all();
    expect(rows.results).toEqual([{ hour: T0 + 5 * DAY + 2 * HOUR, allowed: 2, denied: 1 }]);
  });

  it("lets admins read and reset a user's usage, with an audit row", async () => {
    vi.setSystemTime(T0 + 6 * DAY);
    const admin = await signupAdmin();
    const user = await signup("resetme");
    await statuses(user.accessToken, 20);
    expect((await ping(user.accessToken)).status).toBe(429);
    const seen = await api<{ windows: { minute: { used: number } } }>(
      "GET",
      `/v1/admin/users/${user.id}/usage`,
      {
        token: admin.accessToken,
      },
    );
    expect(seen.body.windows.minute.used).toBe(20);
    const reset = await api<{ windows: { minute: { used: number }; hour: { used: number } } }>(
      "POST",
      `/v1/admin/users/${user.id}/usage/reset`,
      { token: admin.accessToken, body: { windows: ["minute"] } },
    );
    expect(reset.status).toBe(200);
    expect(reset.body.windows.minute.used).toBe(0);
    expect(reset.body.windows.hour.used).toBe(20);
    expect((await ping(user.accessToken)).status).toBe(200);
    expect(
      await count(
        "select count(*) as n from audit_log where action = 'usage.reset' and target_id = ?",
        user.id,
      ),
    ).toBe(1);
    expect(
      (await api("GET", `/v1/admin/users/${user.id}/usage`, { token: user.accessToken })).status,
    ).toBe(403);
    const bad = await api("POST", `/v1/admin/users/${user.id}/usage/reset`, {
      token: admin.accessToken,
      body: { windows: ["fortnight"] },
    });
    expect(bad.status).toBe(400);
  });
});

describe("the object's clock", () => {
  it("counts a late request in the current window instead of rewinding it", async () => {
    const stub = limiterStub("ip:clock-test");
    const limits = { minute: 2, hour: null, day: null, month: null };
    const request = (now: number) => ({ subject: "ip:clock-test", now, cost: 1, limits });
    const nextMinute = T0 + 7 * DAY + MINUTE;
    expect((await stub.consume(request(nextMinute + 10))).outcome).toBe("allowed");
    expect((await stub.consume(request(nextMinute + 20))).outcome).toBe("allowed");
    // Stamped in the previous minute by a lagging Worker: still the current, full window.
    expect((await stub.consume(request(nextMinute - 10))).outcome).toBe("limited");
  });

  it("heals a missed key revocation from D1 when it flushes", async () => {
    vi.setSystemTime(T0 + 8 * DAY);
    const user = await signup("heal");
    const { id, key } = (
      await api<{ id: string; key: string }>("POST", "/v1/me/api-keys", {
        token: user.accessToken,
        body: { name: "k" },
      })
    ).body;
    expect((await ping(key)).status).toBe(200);
    // Revoked in D1 only, as if the push to the object had failed.
    await env.DB.prepare("update api_keys set revoked_at = ? where id = ?").bind(T0, id).run();
    expect((await ping(key)).status).toBe(200);
    await limiterStub(userSubject(user.id)).flush(T0 + 8 * DAY + HOUR);
    expect((await ping(key)).status).toBe(401);
  });
});
