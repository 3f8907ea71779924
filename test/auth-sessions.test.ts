// Sessions: refresh-token rotation and reuse detection, logout, logout-all, and the access
// tokens of an ended session refused at once.
import { describe, expect, it, vi } from "vitest";
import {
  DAY,
  expectFieldErrors,
  forgot,
  logout,
  me,
  post,
  refresh,
  reset,
  sessionIdOf,
  tableCounts,
} from "./auth-helpers";
import { setUserStatus } from "./fixtures";
import { api, count, expectProblem, login, mailedToken, signup } from "./helpers";

// ---------------------------------------------------------------------------------------------
// Refresh
// ---------------------------------------------------------------------------------------------

describe("POST /v1/auth/refresh", () => {
  it("rotates: 200 with new tokens for the same session", async () => {
    const user = await signup("rotate");
    const res = await refresh(user.refreshToken);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      user: expect.objectContaining({ id: user.id, email: user.email, role: "user" }),
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      token_type: "Bearer",
      expires_in: 900,
    });
    expect(res.body.refresh_token).not.toBe(user.refreshToken);
    expect(sessionIdOf(res.body.access_token)).toBe(sessionIdOf(user.accessToken));
    expect((await me(res.body.access_token)).status).toBe(200);
    // A chain of rotations keeps working.
    const second = await refresh(res.body.refresh_token);
    expect(second.status).toBe(200);
    const third = await refresh(second.body.refresh_token);
    expect(third.status).toBe(200);
  });

  it("reuse of a rotated token is 401 and revokes the whole family", async () => {
    const user = await signup("reuse");
    const other = await login(user.email);
    expect(other.status).toBe(200);

    const first = await refresh(user.refreshToken);
    expect(first.status).toBe(200);
    const newest = first.body.refresh_token;

    expectProblem(await refresh(user.refreshToken), 401, "invalid_refresh_token");
    expectProblem(await refresh(newest), 401, "invalid_refresh_token");
    expect(
      await count(
        "select count(*) as n from sessions where id = ? and revoked_at is not null",
        sessionIdOf(user.accessToken),
      ),
    ).toBe(1);
    // Only that family: the user's other session is untouched.
    expect((await refresh(other.body.refresh_token)).status).toBe(200);
  });

  it("two concurrent refreshes with one token: exactly one 200", async () => {
    const user = await signup("rtrace");
    const results = await Promise.all([refresh(user.refreshToken), refresh(user.refreshToken)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
    const loser = results.find((r) => r.status === 401);
    if (loser) expectProblem(loser, 401, "invalid_refresh_token");
  });

  it("a refresh token still works after 29 days (control for expiry)", async () => {
    const start = Date.now();
    vi.setSystemTime(start);
    const user = await signup("rtalive");
    vi.setSystemTime(start + 29 * DAY);
    expect((await refresh(user.refreshToken)).status).toBe(200);
  });

  it("an unknown refresh token is 401 invalid_refresh_token", async () => {
    expectProblem(await refresh("x".repeat(43)), 401, "invalid_refresh_token");
  });

  it("an expired refresh token (after 30 days) is 401", async () => {
    const start = Date.now();
    vi.setSystemTime(start);
    const user = await signup("rtexpire");
    vi.setSystemTime(start + 31 * DAY);
    expectProblem(await refresh(user.refreshToken), 401, "invalid_refresh_token");
  });

  it("a disabled user's refresh token stops working (401)", async () => {
    const user = await signup("rtdisabled");
    await setUserStatus(user.id, "disabled");
    expectProblem(await refresh(user.refreshToken), 401, "invalid_refresh_token");
  });

  it("a too-short refresh token is 400 invalid_request", async () => {
    const res = await post("/v1/auth/refresh", { refresh_token: "short" });
    expectFieldErrors(expectProblem(res, 400, "invalid_request"), ["refresh_token"]);
  });
});

// ---------------------------------------------------------------------------------------------
// Logout
// ---------------------------------------------------------------------------------------------

describe("POST /v1/auth/logout", () => {
  it("204, then that refresh token fails; other sessions keep working", async () => {
    const user = await signup("logout");
    const other = await login(user.email);
    const res = await logout(user.refreshToken);
    expect(res.status).toBe(204);
    expect(res.text).toBe("");
    expectProblem(await refresh(user.refreshToken), 401, "invalid_refresh_token");
    expect(
      await count(
        "select count(*) as n from sessions where id = ? and revoked_reason = 'logout'",
        sessionIdOf(user.accessToken),
      ),
    ).toBe(1);
    expect((await refresh(other.body.refresh_token)).status).toBe(200);
  });

  it("logging out with a rotated (older) token of a session ends the session", async () => {
    const user = await signup("logoutold");
    const rotated = await refresh(user.refreshToken);
    expect(rotated.status).toBe(200);
    expect((await logout(user.refreshToken)).status).toBe(204);
    expectProblem(await refresh(rotated.body.refresh_token), 401, "invalid_refresh_token");
  });

  it("an unknown token is also 204 and changes nothing", async () => {
    const before = await tableCounts();
    const res = await logout("y".repeat(43));
    expect(res.status).toBe(204);
    expect(await tableCounts()).toEqual(before);
  });

  it("logging out twice is 204 both times", async () => {
    const user = await signup("logout2");
    expect((await logout(user.refreshToken)).status).toBe(204);
    expect((await logout(user.refreshToken)).status).toBe(204);
  });
});

describe("POST /v1/auth/logout-all", () => {
  it("204 and every refresh token of the user fails; other users are untouched", async () => {
    const user = await signup("logoutall");
    const a = await login(user.email);
    const b = await login(user.email);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    const bystander = await signup("bystander");

    const res = await api("POST", "/v1/auth/logout-all", { token: a.body.access_token });
    expect(res.status).toBe(204);

    for (const token of [user.refreshToken, a.body.refresh_token, b.body.refresh_token]) {
      expectProblem(await refresh(token), 401, "invalid_refresh_token");
    }
    expect(
      await count(
        "select count(*) as n from sessions where user_id = ? and revoked_at is null",
        user.id,
      ),
    ).toBe(0);
    expect((await refresh(bystander.refreshToken)).status).toBe(200);
  });

  it("without a token is 401 unauthorized with a WWW-Authenticate challenge", async () => {
    const res = await api("POST", "/v1/auth/logout-all");
    expectProblem(res, 401, "unauthorized");
    expect(res.headers.get("www-authenticate") ?? "").toMatch(/^Bearer/);
  });

  it("with a garbage token is 401 invalid_token", async () => {
    const user = await signup("logoutallbad");
    expectProblem(
      await api("POST", "/v1/auth/logout-all", { token: "garbage" }),
      401,
      "invalid_token",
    );
    expect((await refresh(user.refreshToken)).status).toBe(200);
  });
});

// ---------------------------------------------------------------------------------------------
// Ending a session also ends its (still unexpired) access tokens
// ---------------------------------------------------------------------------------------------

describe("ended sessions' access tokens stop working at once", () => {
  it("logout: that session's access token is refused; another session's still works", async () => {
    const user = await signup("endlogout");
    const other = await login(user.email);
    expect((await me(user.accessToken)).status).toBe(200);
    expect((await logout(user.refreshToken)).status).toBe(204);
    expectProblem(await me(user.accessToken), 401, "invalid_token");
    expect((await me(other.body.access_token)).status).toBe(200);
  });

  it("logout-all: every access token of the user is refused, the caller's too", async () => {
    const user = await signup("endall");
    const other = await login(user.email);
    expect((await api("POST", "/v1/auth/logout-all", { token: user.accessToken })).status).toBe(
      204,
    );
    expectProblem(await me(user.accessToken), 401, "invalid_token");
    expectProblem(await me(other.body.access_token), 401, "invalid_token");
    expect((await me((await login(user.email)).body.access_token)).status).toBe(200);
  });

  it("refresh token reuse: the family's access tokens are refused", async () => {
    const user = await signup("endreuse");
    const rotated = await refresh(user.refreshToken);
    expect(rotated.status).toBe(200);
    expect((await me(rotated.body.access_token)).status).toBe(200);
    expectProblem(await refresh(user.refreshToken), 401, "invalid_refresh_token");
    expectProblem(await me(rotated.body.access_token), 401, "invalid_token");
    expectProblem(await me(user.accessToken), 401, "invalid_token");
  });

  it("password reset: every earlier access token is refused", async () => {
    const user = await signup("endreset");
    const other = await login(user.email);
    await forgot(user.email);
    const token = await mailedToken(user.email, "password_reset");
    expect((await reset(token, "reset ends sessions")).status).toBe(204);
    expectProblem(await me(user.accessToken), 401, "invalid_token");
    expectProblem(await me(other.body.access_token), 401, "invalid_token");
    const fresh = await login(user.email, "reset ends sessions");
    expect((await me(fresh.body.access_token)).status).toBe(200);
  });
});
