import type { Env } from "../env";
import { SCHEDULE } from "./registry";
import { runJob } from "./runner";

/** Cron dispatch: each expression in wrangler.toml runs its named jobs, one after another. */
export async function runScheduled(controller: ScheduledController, env: Env): Promise<void> {
  const names = SCHEDULE[controller.cron];
  if (!names) {
    console.error(JSON.stringify({ msg: "no jobs for cron", cron: controller.cron }));
    return;
  }
  for (const name of names) await runJob(env, name, "cron", controller.scheduledTime);
}
