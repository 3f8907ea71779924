import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { openDb } from "../db";
import { loadConfig } from "../env";
import { type Locale, negotiate } from "../i18n";
import type { AppEnv } from "./context";

// Response headers every answer carries: what still protects a JSON API behind HTTPS (HSTS, no
// MIME sniffing, no framing, no referrer, isolation from other origins' windows and reads).
// Headers for browsers long gone (X-XSS-Protection, X-Download-Options, Flash's cross-domain
// policies) are left out: each header is work on every response. Set as the response is made,
// not added to it afterwards: changing a made response's headers costs more than making it.
export const STANDARD_HEADERS: readonly (readonly [string, string])[] = [
  ["Strict-Transport-Security", "max-age=15552000; includeSubDomains"],
  ["X-Content-Type-Options", "nosniff"],
  ["X-Frame-Options", "SAMEORIGIN"],
  ["Referrer-Policy", "no-referrer"],
  ["Cross-Origin-Opener-Policy", "same-origin"],
  ["Cross-Origin-Resource-Policy", "same-origin"],
];

/** A request id a client may choose (echoed back); anything else is replaced by a fresh one. */
const CLIENT_REQUEST_ID = /^[\w\-=]{1,255}$/;

/**
 * The first middleware, one for everything a request needs before it is routed: its id (the
 * client's X-Request-Id when sensible), its clock, its language, the parsed config and the
 * database, the standard response headers, and the request log line once it is answered.
 */
export const requestScope = createMiddleware<AppEnv>(async (c, next) => {
  const now = Date.now();
  const incoming = c.req.header("x-request-id");
  const requestId = incoming && CLIENT_REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
  c.set("requestId", requestId);
  c.set("now", now);
  c.header("X-Request-Id", requestId);
  for (const [name, value] of STANDARD_HEADERS) c.header(name, value);
  // The answer's language depends on Accept-Language (and, once signed in, the user's locale).
  c.header("Vary", "Accept-Language", { append: true });
  setLocale(c, negotiate(c.req.header("accept-language")));
  try {
    c.set("config", loadConfig(c.env));
    c.set("db", openDb(c.env.DB));
    await next();
  } finally {
    if (c.error) {
      // The error handler made a new response: it carries the same headers.
      for (const [name, value] of STANDARD_HEADERS) c.res.headers.set(name, value);
      c.res.headers.append("Vary", "Accept-Language");
    }
    logRequest(c, now);
  }
});

/** The request's language, and the Content-Language of its answer (problems set their own). */
export function setLocale(c: Context<AppEnv>, locale: Locale): void {
  c.set("locale", locale);
  c.header("Content-Language", locale);
}

/**
 * One structured JSON line for each failed (5xx) or slow request, and for a sample of the rest:
 * Workers Logs bills per line, and a line per request costs time on the hot path too.
 * `sample_rate` is in each sampled line, so counts can be scaled back up.
 */
function logRequest(c: Context<AppEnv>, started: number): void {
  const config = c.var.config;
  if (!config || config.REQUEST_LOGS === "off") return;
  const ms = Date.now() - started;
  const status = c.res.status;
  const always = status >= 500 || ms >= config.SLOW_REQUEST_MS;
  const rate = config.REQUEST_LOG_SAMPLE_RATE;
  if (!always && !(rate > 0 && Math.random() < rate)) return;
  console.log(
    JSON.stringify({
      id: c.var.requestId,
      method: c.req.method,
      path: c.req.path,
      status,
      ms,
      user: c.var.principal?.userId ?? null,
      ...(always ? {} : { sample_rate: rate }),
    }),
  );
}
