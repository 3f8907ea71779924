import { app } from "./app";
import { runScheduled } from "./cron/scheduled";
import type { Env } from "./env";
import { dispatchQueue } from "./queues";

export { Scheduler } from "./events/scheduler";
export { NotificationHub } from "./notifications/hub";
export { RateLimiter } from "./ratelimit/durable-object";

export default {
  fetch: app.fetch,
  queue: (batch, env, _ctx) => dispatchQueue(batch, env),
  scheduled: (controller, env, _ctx) => runScheduled(controller, env),
} satisfies ExportedHandler<Env>;
