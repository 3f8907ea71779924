// The comparison for bench/ratelimit.mjs: hono-rate-limiter with the Durable Object store from
// @hono-rate-limiter/cloudflare, on the same workerd, with the same bare and limited routes.
import { DurableObjectRateLimiter, DurableObjectStore } from "@hono-rate-limiter/cloudflare";
import { Hono } from "hono";
import { rateLimiter } from "hono-rate-limiter";

interface Bindings {
  CACHE: DurableObjectNamespace<DurableObjectRateLimiter>;
}

const app = new Hono<{ Bindings: Bindings }>();

app.get("/health", (c) => c.json({ status: "ok" }));

// limit comes from the path so one worker serves the throughput run (huge) and the exactness
// run (500); the key from a header so every run starts from zero.
app.get(
  "/limited/:limit",
  (c, next) =>
    rateLimiter<{ Bindings: Bindings }>({
      windowMs: 60 * 60 * 1000,
      limit: Number(c.req.param("limit")),
      standardHeaders: "draft-7",
      keyGenerator: (ctx) => ctx.req.header("x-bench-key") ?? "anonymous",
      store: new DurableObjectStore({ namespace: c.env.CACHE }),
    })(c, async () => {
      await next();
    }),
  (c) => c.json({ ok: true }),
);

export { DurableObjectRateLimiter };
export default app;
