// The system's notices from the cron jobs, each once however often a job runs: renewed (manual),
// ending in 3 days (canceled at the period end), ended, trial ending (off email: the email says
// it) and the dunning steps (off email too).
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { runJob } from "../src/cron/runner";
import { DAY, HOUR } from "../src/lib/time";
import { NOW, renewals, seedSubscription, seedUser, setUpRenewals } from "./renewals-helpers";
import { noticesOf } from "./system-notices-helpers";

beforeEach(setUpRenewals);

async function dunning(at: number) {
  vi.setSystemTime(at);
  const run = await runJob(env, "dunning", "admin", at);
  expect(run.status, run.error ?? "").toBe("ok");
}

const keysOf = async (userId: string) =>
  (await noticesOf(userId)).map((n) => [n.dedupe_key, n.channels]);

describe("system notices from jobs", () => {
  it("a manual renewal, an ending announced 3 days ahead and the end: each once", async () => {
    const renewing = await seedUser();
    const renewed = await seedSubscription(renewing, {
      currentPeriodStart: NOW - 30 * DAY,
      currentPeriodEnd: NOW - HOUR,
    });
    const leaving = await seedUser();
    const end = NOW + 2 * DAY;
    const ending = await seedSubscription(leaving, {
      provider: "stripe",
      providerSubscriptionId: "sub_leaving",
      cancelAtPeriodEnd: true,
      currentPeriodStart: end - 30 * DAY,
      currentPeriodEnd: end,
    });
    await renewals();
    await renewals(NOW + HOUR);
    const period = await env.DB.prepare(
      "select current_period_start as s from subscriptions where id = ?",
    )
      .bind(renewed)
      .first<{ s: number }>();
    expect(await keysOf(renewing)).toEqual([[`renewed:${renewed}:${period?.s}`, "email,push"]]);
    expect(await keysOf(leaving)).toEqual([[`subscription_ending:${ending}:${end}`, "email,push"]]);
    // The end comes: told once, however often the job runs.
    await renewals(end + HOUR);
    await renewals(end + 2 * HOUR);
    expect(await keysOf(leaving)).toEqual([
      [`subscription_ending:${ending}:${end}`, "email,push"],
      [`canceled:${ending}`, "email,push"],
    ]);
    const [endingNotice] = await noticesOf(leaving);
    expect(endingNotice?.title).toBe("Your subscription ends in 3 days");
  });

  it("a trial ending in 3 days: the email and, on the other channels, the notice, once", async () => {
    const user = await seedUser();
    const trialEnd = NOW + 2 * DAY;
    const id = await seedSubscription(user, {
      status: "trialing",
      trialEnd,
      currentPeriodStart: trialEnd - 14 * DAY,
      currentPeriodEnd: trialEnd,
    });
    expect(await renewals()).toStrictEqual({ trial_reminders: 1 });
    expect(await renewals(NOW + HOUR)).toStrictEqual({});
    expect(await keysOf(user)).toEqual([[`trial_ending:${id}:${trialEnd}`, "push,sms"]]);
  });

  it("dunning steps, each once: restricted, then suspended (off email: the emails say them)", async () => {
    const user = await seedUser();
    const since = NOW - 8 * DAY;
    const id = await seedSubscription(user, {
      provider: "stripe",
      providerSubscriptionId: "sub_dunning",
      status: "past_due",
      standing: "past_due",
      pastDueSince: since,
      currentPeriodStart: NOW - 20 * DAY,
      currentPeriodEnd: NOW + 10 * DAY,
    });
    await dunning(NOW);
    await dunning(NOW + HOUR);
    expect(await keysOf(user)).toEqual([[`dunning:${id}:access_restricted:${since}`, "push,sms"]]);
    await dunning(NOW + 7 * DAY);
    await dunning(NOW + 7 * DAY + HOUR);
    expect(await keysOf(user)).toEqual([
      [`dunning:${id}:access_restricted:${since}`, "push,sms"],
      [`dunning:${id}:access_suspended:${since}`, "push,sms"],
    ]);
    const emails = await env.DB.prepare(
      "select template from email_outbox where user_id = ? order by created_at",
    )
      .bind(user)
      .all<{ template: string }>();
    expect(emails.results.map((r) => r.template)).toEqual([
      "access_restricted",
      "access_suspended",
    ]);
  });
});
