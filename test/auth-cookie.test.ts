// Cookie mode of the auth routes (X-Session-Cookie: 1, what the browser apps send): the refresh
// token travels only as an httpOnly, Secure, SameSite=Strict cookie scoped to /v1/auth; the JSON
// contract without the header is unchanged; cookie requests from another origin are refused.
import { describe, expect, it } from "vitest";
import { api, expectProblem, PASSWORD, signup, uniqueEmail } from "./helpers";

const COOKIE = { "x-session-cookie": "1" };
const REFRESH = "__Secure-tollgate_refresh";
const HINT = "__Secure-tollgate_session";

/** name → the whole Set-Cookie line, for each cookie the response sets. */
function setCookies(headers: Headers): Map<string, string> {
  return new Map(headers.getSetCookie().map((line) => [line.slice(0, line.indexOf("=")), line]));
}

/** The value a Set-Cookie line sets. */
const cookieValue = (line: string | undefined) => line?.slice(line.indexOf("=") + 1).split(";")[0];

/** The Cookie header a browser would send to /v1/auth after these Set-Cookie lines. */
function cookieHeader(lines: Map<string, string>): string {
  return [...lines].map(([name, line]) => `${name}=${cookieValue(line)}`).join("; ");
}

async function cookieLogin(email: string) {
  return api<Record<string, unknown>>("POST", "/v1/auth/login", {
    body: { email, password: PASSWORD },
    headers: COOKIE,
  });
}

describe("cookie mode", () => {
  it("login sets the refresh token as an httpOnly Secure SameSite=Strict cookie on /v1/auth, not in JSON", async () => {
    const user = await signup("cookie-login");
    const res = await cookieLogin(user.email);
    expect(res.status).toBe(200);
    expect(res.body.access_token).toEqual(expect.any(String));
    expect(res.body).not.toHaveProperty("refresh_token");
    const cookies = setCookies(res.headers);
    const refresh = cookies.get(REFRESH) ?? "";
    expect(cookieValue(refresh)).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(refresh).toContain("Path=/v1/auth");
    expect(refresh).toContain("HttpOnly");
    expect(refresh).toContain("Secure");
    expect(refresh).toContain("SameSite=Strict");
    expect(refresh).toContain(`Max-Age=${30 * 24 * 3600}`);
    // The readable hint holds no secret.
    const hint = cookies.get(HINT) ?? "";
    expect(cookieValue(hint)).toBe("1");
    expect(hint).toContain("Path=/");
    expect(hint).not.toContain("HttpOnly");
  });

  it("signup in cookie mode: 201 with the cookie, no refresh token in JSON", async () => {
    const res = await api("POST", "/v1/auth/signup", {
      body: { email: uniqueEmail("cookie-signup"), password: PASSWORD },
      headers: COOKIE,
    });
    expect(res.status).toBe(201);
    expect(res.body).not.toHaveProperty("refresh_token");
    expect(setCookies(res.headers).has(REFRESH)).toBe(true);
  });

  it("refresh reads the cookie, rotates it, and refuses the spent one", async () => {
    const user = await signup("cookie-refresh");
    const first = setCookies((await cookieLogin(user.email)).headers);
    const res = await api("POST", "/v1/auth/refresh", {
      body: {},
      headers: { ...COOKIE, cookie: cookieHeader(first) },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.access_token).toEqual(expect.any(String));
    expect(res.body).not.toHaveProperty("refresh_token");
    const second = setCookies(res.headers);
    expect(cookieValue(second.get(REFRESH))).not.toBe(cookieValue(first.get(REFRESH)));
    // The access token works.
    const me = await api("GET", "/v1/me", { token: String(res.body.access_token) });
    expect(me.status).toBe(200);

    // Presenting the spent cookie again is reuse: 401, and the cookies are cleared.
    const reused = await api("POST", "/v1/auth/refresh", {
      body: {},
      headers: { ...COOKIE, cookie: cookieHeader(first) },
    });
    expectProblem(reused, 401, "invalid_refresh_token");
    const cleared = setCookies(reused.headers);
    expect(cleared.get(REFRESH)).toContain("Max-Age=0");
    expect(cleared.get(HINT)).toContain("Max-Age=0");
  });

  it("refresh without the cookie is a 401, not a 400", async () => {
    const res = await api("POST", "/v1/auth/refresh", { body: {}, headers: COOKIE });
    expectProblem(res, 401, "invalid_refresh_token");
  });

  it("a refresh token in the body is not what cookie mode reads", async () => {
    const user = await signup("cookie-body");
    const res = await api("POST", "/v1/auth/refresh", {
      body: { refresh_token: user.refreshToken },
      headers: COOKIE,
    });
    expectProblem(res, 401, "invalid_refresh_token");
  });

  it("logout ends the session the cookie belongs to and clears both cookies", async () => {
    const user = await signup("cookie-logout");
    const login = await cookieLogin(user.email);
    const cookies = setCookies(login.headers);
    const res = await api("POST", "/v1/auth/logout", {
      body: {},
      headers: { ...COOKIE, cookie: cookieHeader(cookies) },
    });
    expect(res.status).toBe(204);
    const cleared = setCookies(res.headers);
    expect(cleared.get(REFRESH)).toContain("Max-Age=0");
    expect(cleared.get(HINT)).toContain("Max-Age=0");
    // The session is over: its access token fails at once, its cookie cannot refresh.
    const me = await api("GET", "/v1/me", { token: String(login.body.access_token) });
    expectProblem(me, 401, "invalid_token");
    const again = await api("POST", "/v1/auth/refresh", {
      body: {},
      headers: { ...COOKIE, cookie: cookieHeader(cookies) },
    });
    expectProblem(again, 401, "invalid_refresh_token");
  });

  it("logout without a cookie is a 204 that clears the cookies", async () => {
    const res = await api("POST", "/v1/auth/logout", { body: {}, headers: COOKIE });
    expect(res.status).toBe(204);
    expect(setCookies(res.headers).get(REFRESH)).toContain("Max-Age=0");
  });

  it("refuses cookie mode from another origin (CSRF), by Origin or by Sec-Fetch-Site", async () => {
    const user = await signup("cookie-csrf");
    const cookies = setCookies((await cookieLogin(user.email)).headers);
    const foreign: Record<string, string>[] = [
      { origin: "https://evil.example" },
      { "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site" },
    ];
    for (const headers of foreign) {
      const res = await api("POST", "/v1/auth/refresh", {
        body: {},
        headers: { ...COOKIE, ...headers, cookie: cookieHeader(cookies) },
      });
      expectProblem(res, 403, "forbidden");
      expect(res.headers.getSetCookie()).toEqual([]);
    }
    // The same request from the page's own origin works.
    const same = await api("POST", "/v1/auth/refresh", {
      body: {},
      headers: {
        ...COOKIE,
        origin: "https://api.test",
        "sec-fetch-site": "same-origin",
        cookie: cookieHeader(cookies),
      },
    });
    expect(same.status, same.text).toBe(200);
  });

  it("without the header the cookie is ignored and the JSON contract is unchanged", async () => {
    const user = await signup("cookie-json");
    const cookies = setCookies((await cookieLogin(user.email)).headers);
    // A cookie alone (what a cross-site form post could carry) refreshes nothing.
    const cookieOnly = await api("POST", "/v1/auth/refresh", {
      body: {},
      headers: { cookie: cookieHeader(cookies) },
    });
    expectProblem(cookieOnly, 400, "invalid_request");
    expect(cookieOnly.body.errors).toEqual([{ path: "refresh_token", message: "Required" }]);

    const login = await api("POST", "/v1/auth/login", {
      body: { email: user.email, password: PASSWORD },
    });
    expect(login.status).toBe(200);
    expect(login.body.refresh_token).toEqual(expect.any(String));
    expect(login.headers.getSetCookie()).toEqual([]);
    const refreshed = await api("POST", "/v1/auth/refresh", {
      body: { refresh_token: login.body.refresh_token },
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refresh_token).toEqual(expect.any(String));
  });
});
