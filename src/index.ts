import { app } from "./app";
import { runScheduled } from "./cron/scheduled";
import type { Env } from "./env";
import { dispatchQueue } from "./queues";

export { RateLimiter } from "./ratelimit/durable-object";

export default {
  fetch: app.fetch,
  queue: (batch, env) => dispatchQueue(batch, env),
  scheduled: (controller, env) => runScheduled(controller, env),
} satisfies ExportedHandler<Env>;
