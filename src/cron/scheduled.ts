import { openDb } from "../db";
import type { Env } from "../env";
import { SCHEDULE } from "./jobs";

export async function runScheduled(controller: ScheduledController, env: Env): Promise<void> {
  const jobs = SCHEDULE[controller.cron];
  if (!jobs) {
    console.error(JSON.stringify({ msg: "no jobs for cron", cron: controller.cron }));
    return;
  }
  const db = openDb(env.DB);
  const now = controller.scheduledTime;
  for (const [name, job] of Object.entries(jobs)) {
    const started = Date.now();
    try {
      const counts = await job({ db, env, now });
      console.log(
        JSON.stringify({ msg: "job done", job: name, ms: Date.now() - started, ...counts }),
      );
    } catch (error) {
      console.error(JSON.stringify({ msg: "job failed", job: name, error: String(error) }));
    }
  }
}
