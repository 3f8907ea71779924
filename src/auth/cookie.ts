import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { deleteCookie, generateCookie, getCookie, setCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../lib/context";
import { ApiError } from "../lib/errors";
import { DAY } from "../lib/time";

// Cookie mode, for the browser apps served by this Worker (/account, /console): a request with
// `X-Session-Cookie: 1` gets its refresh token as an httpOnly, Secure, SameSite=Strict cookie
// scoped to /v1/auth (the refresh and logout routes read it) instead of in the JSON, so page
// scripts never hold it; the access token stays in the page's memory. Without the header the
// JSON contract is unchanged.
//
// CSRF: the cookie is read only when the request carries the custom header, which a page on
// another origin cannot add without a CORS preflight that this origin refuses; SameSite=Strict
// keeps the cookie off cross-site requests anyway; and a cookie-mode request whose Origin or
// Sec-Fetch-Site says it comes from another origin is refused outright.

export const SESSION_COOKIE_HEADER = "x-session-cookie";
// Both names get the `__Secure-` prefix: browsers refuse them unless set Secure, from a secure
// origin (https, or localhost).
/** The refresh token: httpOnly, sent only to /v1/auth (refresh and logout read it). */
const COOKIE = "tollgate_refresh";
const COOKIE_PATH = "/v1/auth";
/**
 * Holds no secret, only "1": tells the page that a refresh cookie exists, so a page opened
 * without a session does not call /refresh just to be told 401.
 */
const HINT_COOKIE = "tollgate_session";

/** The header, for the OpenAPI document of the routes that accept it. */
export const SessionCookieHeaders = z.object({
  [SESSION_COOKIE_HEADER]: z.literal("1").optional().openapi({
    description:
      "Browser apps: the refresh token is set (and read) as an httpOnly cookie instead of JSON",
  }),
});

/** Whether the request asked for cookie mode; throws 403 for one from another origin. */
export function cookieMode(c: Context<AppEnv>): boolean {
  if (c.req.header(SESSION_COOKIE_HEADER) !== "1") return false;
  const origin = c.req.header("origin");
  const site = c.req.header("sec-fetch-site");
  const crossOrigin =
    (origin !== undefined && origin !== new URL(c.req.url).origin) ||
    (site !== undefined && site !== "same-origin");
  if (crossOrigin) {
    throw new ApiError("forbidden", "Session cookies are only for pages of this origin");
  }
  return true;
}

export function setRefreshCookie(c: Context<AppEnv>, refreshToken: string): void {
  const maxAge = (c.var.config.REFRESH_TOKEN_TTL_DAYS * DAY) / 1000;
  const common = { secure: true, sameSite: "Strict", maxAge, prefix: "secure" } as const;
  setCookie(c, COOKIE, refreshToken, { ...common, path: COOKIE_PATH, httpOnly: true });
  setCookie(c, HINT_COOKIE, "1", { ...common, path: "/" });
}

export function clearRefreshCookie(c: Context<AppEnv>): void {
  deleteCookie(c, COOKIE, { path: COOKIE_PATH, secure: true, prefix: "secure" });
  deleteCookie(c, HINT_COOKIE, { path: "/", secure: true, prefix: "secure" });
}

/**
 * A refused cookie-mode refresh (a revoked or expired session) also clears the cookies, so the
 * page stops trying. After the error handler made the 401, on the response it made.
 */
export const clearCookiesWhenRefused = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  if (c.res.status !== 401 || c.req.header(SESSION_COOKIE_HEADER) !== "1") return;
  for (const [name, path] of [
    [COOKIE, COOKIE_PATH],
    [HINT_COOKIE, "/"],
  ] as const) {
    c.res.headers.append(
      "set-cookie",
      generateCookie(name, "", { path, secure: true, maxAge: 0, prefix: "secure" }),
    );
  }
});

/** The refresh token the request's cookie holds, if any. */
export const refreshCookie = (c: Context<AppEnv>): string | undefined =>
  getCookie(c, COOKIE, "secure");

/**
 * The auth answer for the mode asked for: in cookie mode the refresh token becomes the cookie
 * and leaves the JSON.
 */
export function tokensFor<T extends { refresh_token: string }>(
  c: Context<AppEnv>,
  useCookie: boolean,
  answer: T,
): Omit<T, "refresh_token"> & { refresh_token?: string } {
  if (!useCookie) return answer;
  setRefreshCookie(c, answer.refresh_token);
  const { refresh_token: _, ...rest } = answer;
  return rest;
}
