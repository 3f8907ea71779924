// The dunning job, run with a controlled clock: standing follows how long a subscription has
// been past due (restricted → the free plan's limits, suspended → 402 on the API), each step's
// email goes out once, and a subscription paid up again is set back to good.
import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { DUNNING_PER_RUN, dunningStanding } from "../src/cron/dunning";
import { runJob } from "../src/cron/runner";
import { openDb } from "../src/db";
import { subscriptions } from "../src/db/schema";
import type { Env } from "../src/env";
import worker from "../src/index";
import { newId } from "../src/lib/ids";
import { DAY, HOUR, MINUTE } from "../src/lib/time";
import {
  emptyJobTables,
  insertSubscription,
  insertUser,
  type SubscriptionFields,
  subscriptionById,
} from "./fixtures";
import { api, appEnv, signup, signupAdmin, type TestUser } from "./helpers";

const db = openDb(env.DB);
const handler: ExportedHandler<Env> = worker;

const NOW = Date.UTC(2032, 8, 1, 9, 5, 0);

let mailed: string[];
let ticks = 0;

beforeEach(async () => {
  vi.setSystemTime(NOW);
  ticks = 0;
  mailed = [];
  vi.spyOn(appEnv.EMAILS, "sendBatch").mockImplementation(async (messages) => {
    for (const m of messages) mailed.push(m.body.outbox_id);
    return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } };
  });
  // Storage is shared by this file's tests and the job works on whole tables: start clean.
  await emptyJobTables();
});

// ---- helpers ---------------------------------------------------------------------------------

/** A Stripe subscription past due since `since` (standing past_due, as payment events leave it). */
async function pastDue(userId: string, since: number, fields: SubscriptionFields = {}) {
  const id = fields.id ?? newId("sub");
  await insertSubscription(userId, {
    id,
    status: "past_due",
    standing: "past_due",
    pastDueSince: since,
    provider: "stripe",
    providerSubscriptionId: `sub_stripe_${id}`,
    currentPeriodStart: NOW - 20 * DAY,
    currentPeriodEnd: NOW + 10 * DAY,
    createdAt: NOW - 90 * DAY,
    updatedAt: since,
    ...fields,
  });
  return id;
}

/** A user row without the sign-up round trip; answers its id. */
async function newUser(): Promise<string> {
  return (await insertUser({ createdAt: NOW - 90 * DAY })).id;
}

/** Runs the job as an admin would at `at`; answers the counts that are not zero. */
async function dunning(at = NOW): Promise<Record<string, number>> {
  ticks += 1;
  vi.setSystemTime(NOW + ticks);
  const run = await runJob(env, "dunning", "admin", at);
  expect(run.status, run.error ?? "").toBe("ok");
  return Object.fromEntries(Object.entries(run.counts).filter(([, n]) => n !== 0));
}

async function emails(userId?: string) {
  const { results } = await env.DB.prepare(
    `select id, user_id, to_address, template, subject, text_body from email_outbox
     where template in ('access_restricted', 'access_suspended') ${userId ? "and user_id = ?" : ""}
     order by created_at, rowid`,
  )
    .bind(...(userId ? [userId] : []))
    .all<{
      id: string;
      user_id: string;
      to_address: string;
      template: string;
      text_body: string;
    }>();
  return results;
}

interface Ping {
  standing: string;
  windows: Record<"minute" | "hour", { limit: number | null }>;
}

const ping = (user: TestUser) => api<Ping>("GET", "/v1/ping", { token: user.accessToken });

const PRO = { minute: 200, hour: 2000 };
const FREE = { minute: 20, hour: 100 };

// ---- the steps -------------------------------------------------------------------------------

describe("restricted after BILLING_GRACE_DAYS", () => {
  it("gives the free plan's limits and emails access_restricted, once", async () => {
    const user = await signup("late");
    const id = await pastDue(user.id, NOW - 7 * DAY - MINUTE);
    const before = await ping(user);
    expect(before.status).toBe(200);
    expect(before.body.standing).toBe("past_due");
    expect(before.body.windows.minute.limit).toBe(PRO.minute);
    expect(before.headers.get("x-billing-standing")).toBe("past_due");
    mailed.length = 0;

    expect(await dunning()).toStrictEqual({ restricted: 1 });
    expect(await subscriptionById(id)).toMatchObject({
      status: "past_due",
      standing: "restricted",
      pastDueSince: NOW - 7 * DAY - MINUTE,
      updatedAt: NOW,
    });
    const after = await ping(user);
    expect(after.status).toBe(200);
    expect(after.body.standing).toBe("restricted");
    expect(after.body.windows.minute.limit).toBe(FREE.minute);
    expect(after.body.windows.hour.limit).toBe(FREE.hour);

    const sent = await emails(user.id);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      to_address: user.email,
      template: "access_restricted",
      subject: "Your access is now limited",
    });
    expect(sent[0]?.text_body).toContain("Your Pro subscription is still unpaid");
    expect(mailed).toStrictEqual([sent[0]?.id]);

    // Twice is once: no second step, no second email.
    const settled = await subscriptionById(id);
    expect(await dunning(NOW + HOUR)).toStrictEqual({});
    expect(await subscriptionById(id)).toStrictEqual(settled);
    expect(await emails(user.id)).toHaveLength(1);
    expect(mailed).toHaveLength(1);
  });

  it("leaves a subscription within its grace period as it is", async () => {
    const user = await signup("grace");
    const id = await pastDue(user.id, NOW - 7 * DAY);
    expect(await dunning()).toStrictEqual({});
    expect((await subscriptionById(id)).standing).toBe("past_due");
    const res = await ping(user);
    expect(res.body.windows.minute.limit).toBe(PRO.minute);
    expect(await emails()).toHaveLength(0);
    // A minute later it is past the grace period.
    expect(await dunning(NOW + MINUTE)).toStrictEqual({ restricted: 1 });
  });
});

describe("concurrent runs", () => {
  it("take each step once and mail once when two runs overlap", async () => {
    const users = await Promise.all(Array.from({ length: 5 }, () => newUser()));
    const ids = await Promise.all(users.map((u) => pastDue(u, NOW - 15 * DAY)));
    const [a, b] = await Promise.all([
      runJob(env, "dunning", "cron", NOW),
      runJob(env, "dunning", "admin", NOW),
    ]);
    // Whichever run got there first took the step; the other found it taken (or nothing to do).
    expect((a?.counts.suspended ?? 0) + (b?.counts.suspended ?? 0)).toBe(5);
    for (const id of ids) expect((await subscriptionById(id)).standing).toBe("suspended");
    expect(await emails()).toHaveLength(5);
    expect(mailed).toHaveLength(5);
  });
});

describe("suspended after SUSPEND_AFTER_DAYS", () => {
  it("answers 402 on the API but keeps /v1/me open, and emails access_suspended once", async () => {
    const user = await signup("unpaid");
    const id = await pastDue(user.id, NOW - 14 * DAY - MINUTE, { standing: "restricted" });
    expect((await ping(user)).status).toBe(200);

    expect(await dunning()).toStrictEqual({ suspended: 1 });
    expect((await subscriptionById(id)).standing).toBe("suspended");
    const refused = await api<{ code: string }>("GET", "/v1/ping", { token: user.accessToken });
    expect(refused.status).toBe(402);
    expect(refused.body.code).toBe("payment_required");
    const me = await api<{ id?: string; user?: { id: string } }>("GET", "/v1/me", {
      token: user.accessToken,
    });
    expect(me.status).toBe(200);
    const subscription = await api<{ subscription: { standing: string } }>(
      "GET",
      "/v1/subscription",
      { token: user.accessToken },
    );
    expect(subscription.status).toBe(200);
    expect(subscription.body.subscription.standing).toBe("suspended");

    expect((await emails(user.id)).map((e) => e.template)).toStrictEqual(["access_suspended"]);
    expect(await dunning(NOW + DAY)).toStrictEqual({});
    expect(await emails(user.id)).toHaveLength(1);
  });

  it("steps forward one step at a time, one email per step", async () => {
    const user = await signup("steps");
    const since = NOW - 8 * DAY;
    const id = await pastDue(user.id, since);
    expect(await dunning()).toStrictEqual({ restricted: 1 });
    expect(await dunning(NOW + 3 * DAY)).toStrictEqual({});
    expect(await dunning(NOW + 6 * DAY + MINUTE)).toStrictEqual({ suspended: 1 });
    expect(await dunning(NOW + 7 * DAY)).toStrictEqual({});
    expect((await subscriptionById(id)).standing).toBe("suspended");
    expect((await emails(user.id)).map((e) => e.template)).toStrictEqual([
      "access_restricted",
      "access_suspended",
    ]);
    expect((await ping(user)).status).toBe(402);
  });

  it("goes straight to suspended (with that email only) when both thresholds have passed", async () => {
    const user = await signup("both");
    const id = await pastDue(user.id, NOW - 20 * DAY);
    expect(await dunning()).toStrictEqual({ suspended: 1 });
    expect((await subscriptionById(id)).standing).toBe("suspended");
    expect((await emails(user.id)).map((e) => e.template)).toStrictEqual(["access_suspended"]);
  });

  it("never steps back while past due, and mails nobody whose account is disabled", async () => {
    const user = await newUser();
    // Suspended already (the thresholds were shorter then): it stays so.
    const kept = await pastDue(user, NOW - 10 * DAY, { standing: "suspended" });
    const disabled = await newUser();
    await env.DB.prepare("update users set status = 'disabled' where id = ?").bind(disabled).run();
    const quiet = await pastDue(disabled, NOW - 8 * DAY);
    expect(await dunning()).toStrictEqual({ restricted: 1 });
    expect((await subscriptionById(kept)).standing).toBe("suspended");
    expect((await subscriptionById(quiet)).standing).toBe("restricted");
    expect(await emails()).toHaveLength(0);
    expect(mailed).toHaveLength(0);
  });
});

describe("recovery and stragglers", () => {
  it("sets a subscription no longer past due back to good, with its plan's limits", async () => {
    const user = await signup("paid");
    const id = await pastDue(user.id, NOW - 20 * DAY, { standing: "suspended" });
    expect((await ping(user)).status).toBe(402);
    // The payment was recorded without the standing (a straggler).
    await env.DB.prepare("update subscriptions set status = 'active' where id = ?").bind(id).run();
    const canceled = await pastDue(await newUser(), NOW - 9 * DAY, {
      status: "canceled",
      standing: "restricted",
      endedAt: NOW - DAY,
    });

    expect(await dunning()).toStrictEqual({ recovered: 2 });
    expect(await subscriptionById(id)).toMatchObject({ standing: "good", pastDueSince: null });
    expect((await subscriptionById(canceled)).standing).toBe("good");
    const res = await ping(user);
    expect(res.status).toBe(200);
    expect(res.body.standing).toBe("good");
    expect(res.body.windows.minute.limit).toBe(PRO.minute);
    expect(await emails()).toHaveLength(0);
    expect(await dunning(NOW + HOUR)).toStrictEqual({});
  });

  it("starts the clock for a past-due subscription that has none", async () => {
    const user = await newUser();
    const id = await pastDue(user, NOW, { pastDueSince: null, standing: "good" });
    expect(await dunning()).toStrictEqual({ past_due: 1 });
    expect(await subscriptionById(id)).toMatchObject({ standing: "past_due", pastDueSince: NOW });
    expect(await dunning(NOW + 7 * DAY)).toStrictEqual({});
    expect(await dunning(NOW + 7 * DAY + MINUTE)).toStrictEqual({ restricted: 1 });
  });

  it("dunningStanding only ever moves forward while past due", () => {
    const at = (days: number) => NOW - days * DAY;
    const standing = (sub: Parameters<typeof dunningStanding>[0]) =>
      dunningStanding(sub, NOW, 7, 14);
    expect(standing({ status: "past_due", standing: "good", pastDueSince: at(1) })).toBe(
      "past_due",
    );
    expect(standing({ status: "past_due", standing: "past_due", pastDueSince: at(8) })).toBe(
      "restricted",
    );
    expect(standing({ status: "past_due", standing: "past_due", pastDueSince: at(15) })).toBe(
      "suspended",
    );
    expect(standing({ status: "past_due", standing: "suspended", pastDueSince: at(8) })).toBe(
      "suspended",
    );
    expect(standing({ status: "active", standing: "suspended", pastDueSince: at(20) })).toBe(
      "good",
    );
  });
});

// ---- bounded runs and the ways in ------------------------------------------------------------

describe("bounded runs", () => {
  it(`changes at most ${DUNNING_PER_RUN} subscriptions per run; the next run goes on`, async () => {
    const total = DUNNING_PER_RUN + 5;
    const users = await Promise.all(Array.from({ length: total }, () => newUser()));
    const statements = users.map((userId) =>
      db.insert(subscriptions).values({
        id: newId("sub"),
        userId,
        planId: "pln_basic",
        interval: "month",
        status: "past_due",
        standing: "past_due",
        pastDueSince: NOW - 8 * DAY,
        provider: "stripe",
        createdAt: NOW - 40 * DAY,
        updatedAt: NOW - 8 * DAY,
      }),
    );
    const [first, ...rest] = statements;
    if (first) await db.batch([first, ...rest]);
    mailed.length = 0;
    expect(await dunning()).toStrictEqual({ restricted: DUNNING_PER_RUN });
    expect(await dunning(NOW + HOUR)).toStrictEqual({ restricted: 5 });
    expect(await dunning(NOW + 2 * HOUR)).toStrictEqual({});
    const restricted = await env.DB.prepare(
      "select count(*) as n from subscriptions where standing = 'restricted'",
    ).first<{ n: number }>();
    expect(restricted?.n).toBe(total);
    // One email each, no more.
    expect(await emails()).toHaveLength(total);
    expect(new Set(mailed).size).toBe(total);
  }, 120_000);
});

describe("the ways in", () => {
  it("runs hourly from cron with the scheduled time, and from the admin route", async () => {
    const user = await signup("cron");
    const id = await pastDue(user.id, NOW - 7 * DAY - HOUR);
    // Scheduled two hours earlier than the wall clock: still within the grace period then.
    await handler.scheduled?.(
      createScheduledController({ cron: "5 * * * *", scheduledTime: NOW - 2 * HOUR }),
      env,
      createExecutionContext(),
    );
    expect((await subscriptionById(id)).standing).toBe("past_due");
    vi.setSystemTime(NOW + MINUTE);
    await handler.scheduled?.(
      createScheduledController({ cron: "5 * * * *", scheduledTime: NOW }),
      env,
      createExecutionContext(),
    );
    expect((await subscriptionById(id)).standing).toBe("restricted");
    const runs = await env.DB.prepare(
      "select trigger, status from job_runs where job = 'dunning' order by run_at",
    ).all<{ trigger: string; status: string }>();
    expect(runs.results).toStrictEqual([
      { trigger: "cron", status: "ok" },
      { trigger: "cron", status: "ok" },
    ]);

    const other = await pastDue(await newUser(), NOW - 15 * DAY);
    vi.setSystemTime(NOW + 2 * MINUTE);
    const admin = await signupAdmin();
    const res = await api<{ status: string; counts: Record<string, number> }>(
      "POST",
      "/v1/admin/jobs/dunning/run",
      { token: admin.accessToken },
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body.counts).toMatchObject({ suspended: 1, restricted: 0, recovered: 0 });
    expect((await subscriptionById(other)).standing).toBe("suspended");
  });
});
