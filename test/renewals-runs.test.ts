// How the renewals job runs: bounded runs that resume after the last subscription seen, and the
// ways in (the */10 cron with its scheduled time, the admin route).
import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { RENEWALS_PER_RUN } from "../src/cron/renewals";
import type { Env } from "../src/env";
import worker from "../src/index";
import { newId } from "../src/lib/ids";
import { DAY, HOUR, MINUTE } from "../src/lib/time";
import { installFakeStripe } from "./fakes/stripe";
import { subscriptionById } from "./fixtures";
import { api, signup, signupAdmin } from "./helpers";
import {
  insertMany,
  NOW,
  renewals,
  seedSubscription,
  seedUser,
  setUpRenewals,
} from "./renewals-helpers";

const handler: ExportedHandler<Env> = worker;

beforeEach(setUpRenewals);

describe("bounded runs", () => {
  it(`changes at most ${RENEWALS_PER_RUN} subscriptions per run; the next run goes on`, async () => {
    const total = RENEWALS_PER_RUN + 5;
    const users = await Promise.all(Array.from({ length: total }, () => seedUser()));
    await insertMany(
      users.map((userId) => ({
        id: newId("sub"),
        userId,
        planId: "pln_pro",
        interval: "month" as const,
        status: "active" as const,
        provider: "manual" as const,
        currentPeriodStart: NOW - 31 * DAY,
        currentPeriodEnd: NOW - DAY,
        createdAt: NOW - 31 * DAY,
        updatedAt: NOW - 31 * DAY,
      })),
    );
    expect(await renewals()).toStrictEqual({ renewed: RENEWALS_PER_RUN });
    expect(await renewals(NOW + MINUTE)).toStrictEqual({ renewed: 5 });
    expect(await renewals(NOW + 2 * MINUTE)).toStrictEqual({});
    const stale = await env.DB.prepare(
      "select count(*) as n from subscriptions where current_period_end <= ?",
    )
      .bind(NOW)
      .first<{ n: number }>();
    expect(stale?.n).toBe(0);
  }, 60_000);

  it("resumes after the last subscription seen, so failing ones never hold up the rest", async () => {
    const stripe = installFakeStripe();
    const end = NOW - 7 * HOUR;
    const users = await Promise.all(Array.from({ length: RENEWALS_PER_RUN + 1 }, () => seedUser()));
    // A full batch of subscriptions Stripe does not know (every re-sync fails), ordered first.
    await insertMany(
      users.slice(0, RENEWALS_PER_RUN).map((userId, i) => ({
        id: `sub_0${String(i).padStart(5, "0")}`,
        userId,
        planId: "pln_pro",
        interval: "month" as const,
        status: "active" as const,
        provider: "stripe" as const,
        providerSubscriptionId: `sub_unknown_${i}`,
        currentPeriodStart: end - 30 * DAY,
        currentPeriodEnd: end,
        createdAt: end - 30 * DAY,
        updatedAt: end - 30 * DAY,
      })),
    );
    const last = users.at(-1) as string;
    const manual = await seedSubscription(last, {
      id: "sub_zzzzzz",
      currentPeriodStart: NOW - 31 * DAY,
      currentPeriodEnd: NOW - DAY,
    });
    expect(await renewals()).toStrictEqual({ failed: RENEWALS_PER_RUN });
    expect(await renewals(NOW + MINUTE)).toStrictEqual({ renewed: 1 });
    expect((await subscriptionById(manual)).currentPeriodEnd).toBeGreaterThan(NOW);
    // From the start again: the failing ones are retried.
    expect(await renewals(NOW + 2 * MINUTE)).toStrictEqual({ failed: RENEWALS_PER_RUN });
    expect(stripe.requests.filter((r) => r.method === "GET")).toHaveLength(2 * RENEWALS_PER_RUN);
  }, 60_000);
});

describe("the ways in", () => {
  it("runs from the */10 cron with the scheduled time, and from the admin route", async () => {
    const user = await signup("cron");
    const id = await seedSubscription(user.id, {
      currentPeriodStart: NOW - 31 * DAY,
      currentPeriodEnd: NOW - DAY,
    });
    // An hour before the period end (scheduled time, not the wall clock): nothing to do.
    await handler.scheduled?.(
      createScheduledController({ cron: "*/10 * * * *", scheduledTime: NOW - DAY - HOUR }),
      env,
      createExecutionContext(),
    );
    expect((await subscriptionById(id)).currentPeriodEnd).toBe(NOW - DAY);
    await handler.scheduled?.(
      createScheduledController({ cron: "*/10 * * * *", scheduledTime: NOW }),
      env,
      createExecutionContext(),
    );
    expect((await subscriptionById(id)).currentPeriodEnd).toBe(Date.UTC(2032, 6, 14, 12));
    const runs = await env.DB.prepare(
      "select trigger, status, counts from job_runs where job = 'renewals' order by run_at",
    ).all<{ trigger: string; status: string; counts: string }>();
    expect(runs.results.map((r) => [r.trigger, r.status])).toStrictEqual([
      ["cron", "ok"],
      ["cron", "ok"],
    ]);
    expect(JSON.parse(runs.results[1]?.counts ?? "{}")).toMatchObject({ renewed: 1 });

    const second = await seedSubscription(await seedUser(), {
      currentPeriodStart: NOW - 31 * DAY,
      currentPeriodEnd: NOW - HOUR,
    });
    const admin = await signupAdmin();
    const res = await api<{ status: string; counts: Record<string, number> }>(
      "POST",
      "/v1/admin/jobs/renewals/run",
      { token: admin.accessToken },
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body.status).toBe("ok");
    expect(res.body.counts).toMatchObject({ renewed: 1, canceled: 0, resynced: 0 });
    expect((await subscriptionById(second)).currentPeriodEnd).toBeGreaterThan(NOW);
    const forbidden = await api("POST", "/v1/admin/jobs/renewals/run", {
      token: user.accessToken,
    });
    expect(forbidden.status).toBe(403);
  });
});
