// "A window crossed 80% or 100% of its limit", from the RateLimiter object to the usage-alerts
// queue, whose consumer notifies the user (notifications/ sits above this layer). A counter only
// grows within its period, so a threshold is crossed by one request once per period: no state
// is kept here; the notification's dedupe key absorbs a resend after a reset.
import type { Env, UsageAlertMessage, WindowAlertMessage } from "../env";
import type { WindowState } from "../lib/windows";

/** The windows users are told about, and at which share of their limit. */
const isAlertWindow = (name: string): name is WindowAlertMessage["window"] =>
  name === "day" || name === "month";
const LEVELS = [100, 80] as const;

/** The highest level each day/month window crossed with the `cost` just counted. */
export function usageCrossings(
  userId: string,
  windows: WindowState[],
  cost: number,
): WindowAlertMessage[] {
  const alerts: WindowAlertMessage[] = [];
  for (const w of windows) {
    const window = w.window;
    if (!isAlertWindow(window) || w.limit === null || w.limit <= 0) continue;
    const before = w.used - cost;
    const { limit } = w;
    const level = LEVELS.find((l) => {
      const threshold = Math.ceil((limit * l) / 100);
      return before < threshold && w.used >= threshold;
    });
    if (level) {
      alerts.push({
        user_id: userId,
        window,
        level,
        period_start: w.start,
        period_end: w.reset_at,
        limit,
        used: w.used,
      });
    }
  }
  return alerts;
}

/** Queues the alerts; never fails the request that crossed (a lost alert is logged). */
export async function sendUsageAlerts(env: Env, alerts: UsageAlertMessage[]): Promise<void> {
  if (alerts.length === 0) return;
  try {
    await env.USAGE_ALERTS.sendBatch(alerts.map((body) => ({ body })));
  } catch (error) {
    console.error(JSON.stringify({ msg: "usage alerts not queued", alerts, error: String(error) }));
  }
}
