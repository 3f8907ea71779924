// What the limiter counts and allows: exactly the limit under concurrency, windows rolling over
// (and the month on the billing anchor), the headers and 429s it sends, billing standing,
// usage reports and flushes, and the object's own clock.
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { DAY, HOUR, MINUTE } from "../src/lib/time";
import { pushPolicyBeforeCommit, userSubject } from "../src/ratelimit/client";
import { api, count, limiterStub, login, signup, signupAdmin } from "./helpers";
import { ping, statuses, T0 } from "./ratelimit-helpers";

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
    // An account route: answered with the minute full, and counted nothing in it.
    expect(usage.status).toBe(200);
    expect(usage.body.windows.minute.used).toBe(20);
  });

  it("holds under concurrency with a cost above one", async () => {
    const stub = limiterStub("ip:costly");
    const limits = { minute: 35, hour: null, day: null, month: null };
    const now = T0 + 7 * MINUTE;
    // Of 8 concurrent calls costing 10, exactly 3 fit in 35; then 5 left: a cost of 5 fits.
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        stub.consume({ subject: "ip:costly", now, cost: 10, limits }),
      ),
    );
    expect(results.filter((r) => r.outcome === "allowed")).toHaveLength(3);
    const rest = await stub.consume({ subject: "ip:costly", now, cost: 5, limits });
    expect(rest.outcome === "allowed" && rest.windows[0]?.used).toBe(35);
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
    // An account route describes the window it counts in: the account window, alone.
    const me = await api("GET", "/v1/me", { token: user.accessToken });
    expect(me.headers.get("ratelimit-policy")).toBe('"account";q=300;w=60');
    expect(me.headers.get("ratelimit")).toBe('"account";r=299;t=30');
    expect((await ping(user.accessToken)).headers.get("ratelimit")).toBe('"minute";r=18;t=30');
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

  it("suspended answers 402 except on account routes, and charges nothing", async () => {
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
    // Neither the refused ping nor the account routes counted in the plan's windows.
    expect(usage.body.windows.minute.used).toBe(0);
    for (const path of ["/v1/notifications", "/v1/wallet", "/v1/payments"]) {
      expect((await api("GET", path, { token: user.accessToken })).status).toBe(200);
    }
    expect((await api("POST", "/v1/auth/logout-all", { token: user.accessToken })).status).toBe(
      204,
    );
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
    // The three pings; the usage call is an account route, counted in neither windows nor history.
    expect(res.body.windows.hour).toEqual({
      used: 3,
      limit: 100,
      remaining: 97,
      reset_at: new Date(T0 + 4 * DAY + 4 * HOUR).toISOString(),
    });
    expect(res.body.history).toHaveLength(30);
    expect(res.body.history.at(-1)).toEqual({ date: "2031-01-05", allowed: 3, denied: 0 });
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
    expect(await stub.flush(later)).toEqual({ hours: 1, keys: 0, entries: 0 });
    expect(await stub.flush(later)).toEqual({ hours: 0, keys: 0, entries: 0 });
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
