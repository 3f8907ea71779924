// Account routes (tollgate's own: /v1/me, billing, admin…) spend none of the plan's windows,
// which are the sold API's quota: they count in the user's own `account` window instead.
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { MINUTE } from "../src/lib/time";
import { isAccountRoute } from "../src/ratelimit/account-routes";
import { pushPolicyBeforeCommit } from "../src/ratelimit/client";
import { api, type RequestOptions, signup, signupAdmin, type TestUser } from "./helpers";
import { limitTo, ping, statuses, T0 } from "./ratelimit-helpers";

const ACCOUNT_PAGES = ["/v1/me", "/v1/subscription", "/v1/me/usage", "/v1/me/api-keys"];

type Violation = { window: string; limit: number; used: number; reset_at: string };

async function planUsed(user: TestUser): Promise<Record<string, number>> {
  const usage = await api<{ windows: Record<string, { used: number }> }>("GET", "/v1/me/usage", {
    token: user.accessToken,
  });
  expect(usage.status).toBe(200);
  return Object.fromEntries(Object.entries(usage.body.windows).map(([w, v]) => [w, v.used]));
}

async function accountStatuses(
  user: TestUser,
  paths: string[],
  options: RequestOptions = {},
): Promise<number[]> {
  const out: number[] = [];
  for (const path of paths) {
    out.push((await api("GET", path, { ...options, token: user.accessToken })).status);
  }
  return out;
}

describe("account routes and the plan's windows", () => {
  it("answers account routes with the minute window full, while the sold API gets 429", async () => {
    vi.setSystemTime(T0 + 2 * MINUTE);
    const user = await signup("fullminute");
    // The free plan allows 20 a minute.
    expect(await statuses(user.accessToken, 21)).toEqual([...Array(20).fill(200), 429]);
    expect(await accountStatuses(user, ACCOUNT_PAGES)).toEqual([200, 200, 200, 200]);
    const refused = await ping(user.accessToken);
    expect(refused.status).toBe(429);
    expect((refused.body.violations as Violation[]).map((v) => v.window)).toEqual(["minute"]);
    // The account routes counted nothing: the minute holds the 20 pings.
    expect(await planUsed(user)).toMatchObject({ minute: 20, hour: 20, day: 20, month: 20 });
  });

  it("lets a user whose month is used up open the billing pages to upgrade", async () => {
    vi.setSystemTime(T0 + 3 * MINUTE);
    const user = await signup("fullmonth");
    await limitTo(user.id, { month: 2 });
    expect(await statuses(user.accessToken, 3)).toEqual([200, 200, 429]);
    expect(await accountStatuses(user, [...ACCOUNT_PAGES, "/v1/payments", "/v1/wallet"])).toEqual([
      200, 200, 200, 200, 200, 200,
    ]);
    const refused = await ping(user.accessToken);
    expect((refused.body.violations as Violation[]).map((v) => v.window)).toEqual(["month"]);
    expect((await planUsed(user)).month).toBe(2);
  });

  it("admits account routes when a lowered limit is below what was already used", async () => {
    vi.setSystemTime(T0 + 4 * MINUTE);
    const user = await signup("lowered");
    await limitTo(user.id, { minute: 10 });
    expect(await statuses(user.accessToken, 5)).toEqual([200, 200, 200, 200, 200]);
    // Restricted: the free plan's limits, here 2 a minute, with 5 already used.
    await pushPolicyBeforeCommit(
      env,
      user.id,
      { standing: "restricted", freeLimits: { minute: 2, hour: null, day: null, month: null } },
      T0,
    );
    expect((await ping(user.accessToken)).status).toBe(429);
    expect(await accountStatuses(user, ["/v1/subscription", "/v1/me"])).toEqual([200, 200]);
    expect((await planUsed(user)).minute).toBe(5);
  });

  it("does not spend an admin's plan windows on the console's admin calls", async () => {
    vi.setSystemTime(T0 + 5 * MINUTE);
    const admin = await signupAdmin();
    const user = await signup("seen");
    await limitTo(admin.id, { minute: 2 });
    const console = [
      "/v1/admin/users",
      `/v1/admin/users/${user.id}`,
      `/v1/admin/users/${user.id}/usage`,
      `/v1/admin/users/${user.id}/subscription`,
      `/v1/admin/users/${user.id}/api-keys`,
      "/v1/admin/audit",
    ];
    expect(await accountStatuses(admin, console)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(await statuses(admin.accessToken, 3)).toEqual([200, 200, 429]);
    expect((await planUsed(admin)).minute).toBe(2);
  });
});

describe("the account window", () => {
  const bindings = { ...env, ACCOUNT_LIMIT_PER_MINUTE: "3" };

  it("refuses account routes past its limit with a 429 naming it; the sold API is untouched", async () => {
    vi.setSystemTime(T0 + 10 * MINUTE + 20_000);
    const user = await signup("accountfull");
    const pages = ["/v1/me", "/v1/me/usage", "/v1/subscription"];
    expect(await accountStatuses(user, pages, { bindings })).toEqual([200, 200, 200]);
    const refused = await api("GET", "/v1/notifications", { token: user.accessToken, bindings });
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe("rate_limited");
    expect(refused.body.violations).toEqual([
      { window: "account", limit: 3, used: 3, reset_at: new Date(T0 + 11 * MINUTE).toISOString() },
    ]);
    expect(refused.headers.get("retry-after")).toBe("40");
    expect(refused.headers.get("ratelimit")).toBe('"account";r=0;t=40');
    // The plan's windows never saw any of it.
    const pinged = await ping(user.accessToken);
    expect(pinged.status).toBe(200);
    expect(pinged.headers.get("ratelimit")).toBe('"minute";r=19;t=40');
    // A new minute, a new account window.
    vi.setSystemTime(T0 + 11 * MINUTE);
    expect(await accountStatuses(user, ["/v1/me"], { bindings })).toEqual([200]);
  });

  it("counts an account route's routeCost in it, exactly under concurrency", async () => {
    vi.setSystemTime(T0 + 12 * MINUTE);
    const user = await signup("exports");
    const room = { ...env, ACCOUNT_LIMIT_PER_MINUTE: "35" };
    // An export costs 10: of 8 concurrent exports, exactly 3 fit in 35.
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        api("GET", "/v1/me/export", { token: user.accessToken, bindings: room }),
      ),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(3);
    const refused = results.filter((r) => r.status === 429);
    expect(refused.map((r) => (r.body.violations as Violation[])[0]?.window)).toEqual(
      Array(5).fill("account"),
    );
    // 5 left: five account calls fit, the sixth does not; the plan's minute saw none of it.
    const sixMe = Array(6).fill("/v1/me");
    expect(await accountStatuses(user, sixMe, { bindings: room })).toEqual([
      200, 200, 200, 200, 200, 429,
    ]);
    expect((await planUsed(user)).minute).toBe(0);
  });
});

describe("which routes are account routes", () => {
  it("takes tollgate's own surfaces, by whole path segments, and not the sold API", () => {
    for (const path of [
      "/v1/me",
      "/v1/me/api-keys/key_1",
      "/v1/auth/logout-all",
      "/v1/subscription",
      "/v1/billing/anything",
      "/v1/coupons/validate",
      "/v1/payments",
      "/v1/wallet/top-ups",
      "/v1/notifications/stream",
      "/v1/events",
      "/v1/reminders/rem_1",
      "/v1/plans",
      "/v1/admin/users",
    ]) {
      expect(isAccountRoute(path), path).toBe(true);
    }
    for (const path of ["/v1/ping", "/v1/actions/resize/runs", "/api/weather", "/v1/metrics"]) {
      expect(isAccountRoute(path), path).toBe(false);
    }
  });
});
