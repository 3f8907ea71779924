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
  for (const name of names) {
    // runJob records a failing job; this catches what it cannot record (D1 itself failing),
    // so one job's failure never stops the next.
    await runJob(env, name, "cron", controller.scheduledTime).catch((error: unknown) =>
      console.error(JSON.stringify({ msg: "job failed", job: name, error: String(error) })),
    );
  }
}
