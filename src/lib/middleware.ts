import { createMiddleware } from "hono/factory";
import { openDb } from "../db";
import { loadConfig } from "../env";
import type { AppEnv } from "./context";

/** Config, database and the request's clock, set before anything else runs. */
export const requestContext = createMiddleware<AppEnv>(async (c, next) => {
  c.set("now", Date.now());
  c.set("principal", undefined);
  c.set("cost", undefined);
  c.set("config", loadConfig(c.env));
  c.set("db", openDb(c.env.DB));
  await next();
});

/**
 * One structured JSON line for each failed (5xx) or slow request, and for a sample of the rest:
 * Workers Logs bills per line, and a line per request costs time on the hot path too.
 * `sample_rate` is in each sampled line, so counts can be scaled back up.
 */
export const requestLog = createMiddleware<AppEnv>(async (c, next) => {
  const started = performance.now();
  try {
    await next();
  } finally {
    const config = c.var.config;
    if (config && config.REQUEST_LOGS !== "off") {
      const ms = Math.round((performance.now() - started) * 10) / 10;
      const status = c.res.status;
      const always = status >= 500 || ms >= config.SLOW_REQUEST_MS;
      const rate = config.REQUEST_LOG_SAMPLE_RATE;
      if (always || (rate > 0 && Math.random() < rate)) {
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
    }
  }
});
