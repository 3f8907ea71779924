// The usage-alerts queue: a RateLimiter object's "this window crossed 80% / 100%" becomes one
// notification per user, window period and level (its dedupe key: usage:<window>:<start>:<level>),
// and "the wallet fell below your threshold" one per crossing (wallet_low:<currency>:<seq>).
import type { UsageAlertMessage } from "../env";
import type { ServiceContext } from "../lib/context";
import { notifySystem } from "./notices";
import type { SystemEvent } from "./system";

function eventOf(alert: UsageAlertMessage): SystemEvent {
  if ("kind" in alert) {
    const { currency, threshold, available, seq } = alert;
    return { kind: "wallet_low", currency, threshold, available, seq };
  }
  return {
    kind: "usage",
    window: alert.window,
    level: alert.level,
    periodStart: alert.period_start,
    periodEnd: alert.period_end,
    limit: alert.limit,
    used: alert.used,
  };
}

export async function consumeUsageAlerts(
  ctx: ServiceContext,
  batch: MessageBatch<UsageAlertMessage>,
): Promise<void> {
  for (const message of batch.messages) {
    const alert = message.body;
    try {
      await notifySystem(ctx, alert.user_id, eventOf(alert));
      message.ack();
    } catch (error) {
      console.error(JSON.stringify({ msg: "usage alert failed", alert, error: String(error) }));
      message.retry({ delaySeconds: 30 * 2 ** Math.min(message.attempts - 1, 6) });
    }
  }
}
