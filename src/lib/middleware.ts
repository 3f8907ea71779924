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

/** One structured JSON line per request. */
export const requestLog = createMiddleware<AppEnv>(async (c, next) => {
  const started = performance.now();
  try {
    await next();
  } finally {
    if (c.var.config?.REQUEST_LOGS !== "off") {
      console.log(
        JSON.stringify({
          id: c.var.requestId,
          method: c.req.method,
          path: c.req.path,
          status: c.res.status,
          ms: Math.round((performance.now() - started) * 10) / 10,
          user: c.var.principal?.userId ?? null,
        }),
      );
    }
  }
});
