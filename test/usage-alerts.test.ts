// Usage at 80% and 100% of the day and month windows: the RateLimiter object reports each
// crossing once on the usage-alerts queue, and its consumer notifies once per window period and
// level, however often the message comes.
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import type { UsageAlertMessage } from "../src/env";
import { DAY } from "../src/lib/time";
import { QUEUES } from "../src/queues";
import { pushPolicyBeforeCommit } from "../src/ratelimit/client";
import { usageCrossings } from "../src/ratelimit/usage-alerts";
import { holdQueues, login, runQueueBatch, signup, type TestUser } from "./helpers";
import { statuses, T0 } from "./ratelimit-helpers";

const consume = (alerts: UsageAlertMessage[]) => runQueueBatch(QUEUES.usageAlerts, alerts);

/** Access tokens live 15 minutes: a day later the user logs in again. */
async function freshToken(user: TestUser): Promise<string> {
  return (await login(user.email)).body.access_token;
}

async function usageNotices(userId: string) {
  const { results } = await env.DB.prepare(
    "select title, dedupe_key from notifications where user_id = ? and type = 'usage' order by created_at, rowid",
  )
    .bind(userId)
    .all<{ title: string; dedupe_key: string }>();
  return results;
}

describe("usage alerts", () => {
  it("80% and 100% of the day and month windows, each once per period", async () => {
    vi.setSystemTime(T0);
    const held = holdQueues();
    const user = await signup("usage");
    await pushPolicyBeforeCommit(
      env,
      user.id,
      { limits: { minute: null, hour: null, day: 5, month: 10 } },
      T0,
    );
    // 4 of 5 today: 80% of the day. The 5th: 100%. The 6th is refused and says nothing.
    expect(await statuses(user.accessToken, 6)).toEqual([200, 200, 200, 200, 200, 429]);
    const day = { window: "day", limit: 5, period_start: T0, period_end: T0 + DAY };
    expect(held.usageAlerts).toEqual([
      { user_id: user.id, ...day, level: 80, used: 4 },
      { user_id: user.id, ...day, level: 100, used: 5 },
    ]);
    // The next day: 3 more make 8 of 10 this month.
    vi.setSystemTime(T0 + DAY);
    expect(await statuses(await freshToken(user), 3)).toEqual([200, 200, 200]);
    expect(held.usageAlerts.slice(2)).toEqual([
      expect.objectContaining({ window: "month", level: 80, used: 8, limit: 10, period_start: T0 }),
    ]);

    // Consumed twice (a redelivery): three notifications, not six.
    expect((await consume(held.usageAlerts)).explicitAcks).toHaveLength(3);
    expect((await consume(held.usageAlerts)).explicitAcks).toHaveLength(3);
    const notices = await usageNotices(user.id);
    expect(notices).toEqual([
      { title: "You have used 80% of your daily quota", dedupe_key: `usage:day:${T0}:80` },
      { title: "You have reached your daily quota", dedupe_key: `usage:day:${T0}:100` },
      { title: "You have used 80% of your monthly quota", dedupe_key: `usage:month:${T0}:80` },
    ]);
    // A new day period crosses 80% again: a new notice.
    vi.setSystemTime(T0 + 2 * DAY);
    held.usageAlerts.length = 0;
    await pushPolicyBeforeCommit(
      env,
      user.id,
      { limits: { minute: null, hour: null, day: 1, month: 100 } },
      T0 + 2 * DAY,
    );
    expect(await statuses(await freshToken(user), 1)).toEqual([200]);
    expect(held.usageAlerts).toEqual([
      expect.objectContaining({ window: "day", level: 100, period_start: T0 + 2 * DAY }),
    ]);
    await consume(held.usageAlerts);
    expect(await usageNotices(user.id)).toHaveLength(4);
  });
});

describe("usageCrossings", () => {
  const w = (window: string, used: number, limit: number | null) => ({
    window: window as "day",
    limit,
    used,
    remaining: limit === null ? null : limit - used,
    start: 0,
    reset_at: 1,
  });
  it.each([
    ["below 80%", [w("day", 7, 10)], 1, []],
    ["at 80%", [w("day", 8, 10)], 1, [80]],
    ["past 80% after it", [w("day", 9, 10)], 1, []],
    ["over both at once: the higher", [w("day", 10, 10)], 5, [100]],
    ["80% of an odd limit rounds up", [w("day", 3, 3)], 1, [100]],
    ["the minute and hour windows say nothing", [w("minute", 10, 10), w("hour", 8, 10)], 1, []],
    ["no limit", [w("month", 100, null)], 1, []],
  ])("%s", (_, windows, cost, levels) => {
    expect(usageCrossings("usr_1", windows, cost).map((a) => a.level)).toEqual(levels);
  });
});
