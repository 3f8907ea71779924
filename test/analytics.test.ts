// Revenue analytics: the daily snapshot job against crafted subscription histories, the pure
// metrics, and the admin analytics/dashboard routes — every expected number computed by hand.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  levelsBefore,
  ltv,
  type RevenueDay,
  rangeMonths,
  rate,
  revenueChurn,
  summarize,
} from "../src/analytics/metrics";
import { classifyMovement } from "../src/analytics/movements";
import { periodCharge, periodStartMonth, userMrr, wholeMonths } from "../src/analytics/mrr";
import { PAGE, writeChanges } from "../src/analytics/record-movements";
import { adminAnalyticsRoutes, adminDashboardRoutes } from "../src/analytics/routes";
import { snapshotDay } from "../src/analytics/snapshot";
import { buildApp } from "../src/app";
import { runJob } from "../src/cron/runner";
import { newId } from "../src/lib/ids";
import { addMonths } from "../src/lib/windows";
import { signup, signupAdmin, type TestUser } from "./helpers";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const at = (iso: string) => Date.parse(iso);
const day = (date: string) => Date.parse(`${date}T00:00:00Z`);

// The app as deployed, with the analytics routers mounted here when src/app.ts does not (yet).
const app = buildApp();
if (!app.routes.some((r) => r.path.startsWith("/v1/admin/analytics"))) {
  app.route("/v1/admin/analytics", adminAnalyticsRoutes);
  app.route("/v1/admin/dashboard", adminDashboardRoutes);
}

async function get<T>(path: string, token: string): Promise<{ status: number; body: T }> {
  const ctx = createExecutionContext();
  const response = await app.fetch(
    new Request(`https://api.test${path}`, { headers: { authorization: `Bearer ${token}` } }),
    env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { status: response.status, body: (await response.json()) as T };
}

// ---- crafted histories ---------------------------------------------------------------------

async function wipe(): Promise<void> {
  await env.DB.batch(
    [
      "delete from revenue_daily",
      "delete from subscriber_mrr",
      "delete from usage_daily_totals",
      "delete from payments",
      "delete from coupon_redemptions",
      "delete from subscriptions",
      "delete from coupons",
      "delete from webhook_events",
      "delete from job_runs",
      "delete from users where email like '%@analytics.test'",
    ].map((q) => env.DB.prepare(q)),
  );
}

async function user(createdAt = at("2030-12-01T00:00:00Z"), status = "active"): Promise<string> {
  const id = newId("usr");
  await env.DB.prepare(
    `insert into users (id, email, role, status, password_hash, settings, created_at, updated_at)
     values (?, ?, 'user', ?, 'x', '{}', ?, ?)`,
  )
    .bind(id, `${id}@analytics.test`, status, createdAt, createdAt)
    .run();
  return id;
}

interface SubInput {
  userId: string;
  plan: string;
  interval?: "month" | "year";
  status?: string;
  couponId?: string | null;
  createdAt?: number;
  trialEnd?: number | null;
  periodStart?: number;
}

async function sub(input: SubInput): Promise<string> {
  const id = newId("sub");
  const createdAt = input.createdAt ?? at("2030-12-15T00:00:00Z");
  const periodStart = input.periodStart ?? createdAt;
  await env.DB.prepare(
    `insert into subscriptions (id, user_id, plan_id, interval, status, provider, coupon_id,
       current_period_start, current_period_end, trial_end, created_at, updated_at)
     values (?, ?, ?, ?, ?, 'manual', ?, ?, ?, ?, ?, ?)`,
  )
    .bind(
      id,
      input.userId,
      input.plan,
      input.interval ?? "month",
      input.status ?? "active",
      input.couponId ?? null,
      periodStart,
      periodStart + 30 * DAY,
      input.trialEnd ?? null,
      createdAt,
      createdAt,
    )
    .run();
  return id;
}

async function setSub(id: string, set: string, ...values: unknown[]): Promise<void> {
  await env.DB.prepare(`update subscriptions set ${set} where id = ?`)
    .bind(...values, id)
    .run();
}

async function coupon(terms: {
  percentOff?: number;
  amountOff?: number;
  currency?: string;
  duration: "once" | "repeating" | "forever";
  durationMonths?: number;
}): Promise<string> {
  const id = newId("cpn");
  await env.DB.prepare(
    `insert into coupons (id, code, percent_off, amount_off, currency, duration, duration_months,
       created_at, updated_at)
     values (?, ?, ?, ?, ?, ?, ?, 0, 0)`,
  )
    .bind(
      id,
      id.toUpperCase(),
      terms.percentOff ?? null,
      terms.amountOff ?? null,
      terms.currency ?? null,
      terms.duration,
      terms.durationMonths ?? null,
    )
    .run();
  return id;
}

async function activeUsers(date: string, n: number): Promise<void> {
  await env.DB.prepare(
    "insert into usage_daily_totals (day, allowed, denied, active_subjects, updated_at) values (?, 0, 0, ?, 0)",
  )
    .bind(day(date), n)
    .run();
}

/** Runs the job the way cron does, 20 minutes into the day after `date`. */
async function snapshot(date: string): Promise<Record<string, number>> {
  const run = await runJob(env, "revenue-snapshot", "admin", day(date) + DAY + 20 * MINUTE);
  expect(run.status, run.error ?? "").toBe("ok");
  return run.counts;
}

interface Row {
  mrr: number;
  arr: number;
  paying_subscribers: number;
  trials: number;
  subscribers_by_plan: string;
  new_mrr: number;
  expansion_mrr: number;
  contraction_mrr: number;
  churned_mrr: number;
  reactivation_mrr: number;
  new_subscribers: number;
  churned_subscribers: number;
  signups: number;
  active_users: number;
}

async function revenue(date: string, currency = "usd") {
  const row = await env.DB.prepare(
    `select mrr, arr, paying_subscribers, trials, subscribers_by_plan, new_mrr, expansion_mrr,
       contraction_mrr, churned_mrr, reactivation_mrr, new_subscribers, churned_subscribers,
       signups, active_users
     from revenue_daily where day = ? and currency = ?`,
  )
    .bind(day(date), currency)
    .first<Row>();
  if (!row) return null;
  return { ...row, subscribers_by_plan: JSON.parse(row.subscribers_by_plan) };
}

async function mrrRows(): Promise<Record<string, unknown>[]> {
  const { results } = await env.DB.prepare(
    "select user_id, currency, mrr, plan_id, ever_paid, updated_at from subscriber_mrr order by user_id, currency",
  ).all();
  return results;
}

const ZERO_MOVES = {
  new_mrr: 0,
  expansion_mrr: 0,
  contraction_mrr: 0,
  churned_mrr: 0,
  reactivation_mrr: 0,
  new_subscribers: 0,
  churned_subscribers: 0,
};

let admin: TestUser;
beforeAll(async () => {
  admin = await signupAdmin();
});
beforeEach(wipe);

// ---- the job -------------------------------------------------------------------------------

/**
 * Seeded usd plans: basic 900/month, pro 2900/month (29000/year), enterprise 19900/month.
 * Jan 1: A basic, B pro, C basic pay; D trials pro.
 * Jan 2: A upgrades to pro mid-period, B downgrades to basic, C cancels, D's trial converts.
 * Jan 3: C comes back on enterprise.
 * Feb 1: A cancels.
 */
async function history() {
  const [a, b, c, d] = [await user(), await user(), await user(), await user()];
  const subA = await sub({ userId: a, plan: "pln_basic" });
  const subB = await sub({ userId: b, plan: "pln_pro" });
  const subC = await sub({ userId: c, plan: "pln_basic" });
  const subD = await sub({
    userId: d,
    plan: "pln_pro",
    status: "trialing",
    trialEnd: at("2031-01-02T08:00:00Z"),
  });
  // One signup on each of Jan 2 and Jan 3 (no subscription), two on Jan 3 in fact.
  await user(at("2031-01-02T10:00:00Z"));
  await user(at("2031-01-03T00:00:00Z"));
  await user(at("2031-01-03T23:59:59Z"));
  await user(at("2031-01-04T00:00:00Z")); // the next day: counted on no snapshot here
  await activeUsers("2031-01-02", 5);
  await activeUsers("2031-01-03", 8);

  const steps = {
    jan1: () => snapshot("2031-01-01"),
    jan2: async () => {
      await setSub(subA, "plan_id = 'pln_pro'");
      await setSub(subB, "plan_id = 'pln_basic'");
      await setSub(subC, "status = 'canceled', ended_at = ?", at("2031-01-02T12:00:00Z"));
      await setSub(subD, "status = 'active'");
      return snapshot("2031-01-02");
    },
    jan3: async () => {
      await sub({ userId: c, plan: "pln_enterprise", createdAt: at("2031-01-03T09:00:00Z") });
      return snapshot("2031-01-03");
    },
    feb1: async () => {
      await setSub(subA, "status = 'canceled'");
      return snapshot("2031-02-01");
    },
  };
  return { users: { a, b, c, d }, steps };
}

describe("revenue snapshot job", () => {
  it("snapshots the UTC day before now", () => {
    expect(snapshotDay(at("2031-01-02T00:20:00Z"))).toBe(day("2031-01-01"));
    expect(snapshotDay(at("2031-01-02T23:59:59Z"))).toBe(day("2031-01-01"));
    expect(snapshotDay(at("2031-03-01T00:00:00Z"))).toBe(day("2031-02-28"));
  });

  it("classifies new, expansion, contraction, churn and reactivation; trials are no MRR", async () => {
    const { users, steps } = await history();

    const first = await steps.jan1();
    expect(first).toMatchObject({ day: day("2031-01-01"), changed: 3 });
    expect(await revenue("2031-01-01")).toEqual({
      ...ZERO_MOVES,
      mrr: 4700, // 900 + 2900 + 900; D's trial pays nothing
      arr: 56_400,
      paying_subscribers: 3,
      trials: 1,
      subscribers_by_plan: { basic: 2, pro: 1 },
      new_mrr: 4700,
      new_subscribers: 3,
      signups: 0,
      active_users: 0,
    });

    await steps.jan2();
    expect(await revenue("2031-01-02")).toEqual({
      mrr: 6700, // A 2900 + B 900 + D 2900
      arr: 80_400,
      paying_subscribers: 3,
      trials: 0,
      subscribers_by_plan: { basic: 1, pro: 2 },
      new_mrr: 2900, // D converts
      expansion_mrr: 2000, // A: 900 → 2900
      contraction_mrr: 2000, // B: 2900 → 900
      churned_mrr: 900, // C
      reactivation_mrr: 0,
      new_subscribers: 1,
      churned_subscribers: 1,
      signups: 1,
      active_users: 5,
    });
    const c = (await mrrRows()).find((r) => r.user_id === users.c);
    // A churned subscriber keeps a row (mrr 0, ever paid) so a return is a reactivation.
    expect(c).toMatchObject({ mrr: 0, ever_paid: 1, plan_id: null, updated_at: day("2031-01-02") });

    await steps.jan3();
    expect(await revenue("2031-01-03")).toEqual({
      ...ZERO_MOVES,
      mrr: 26_600,
      arr: 319_200,
      paying_subscribers: 4,
      trials: 0,
      subscribers_by_plan: { basic: 1, pro: 2, enterprise: 1 },
      reactivation_mrr: 19_900,
      new_subscribers: 1,
      signups: 2,
      active_users: 8,
    });

    await steps.feb1();
    expect(await revenue("2031-02-01")).toMatchObject({
      mrr: 23_700,
      churned_mrr: 2900,
      churned_subscribers: 1,
      paying_subscribers: 3,
    });
  });

  it("counts a day once however often it runs, and refuses a day older than the newest", async () => {
    const { users, steps } = await history();
    await steps.jan1();
    await steps.jan2();
    const row = await revenue("2031-01-02");
    const state = await mrrRows();

    expect(await snapshot("2031-01-02")).toMatchObject({ changed: 0 });
    expect(await revenue("2031-01-02")).toEqual(row);
    expect(await mrrRows()).toEqual(state);

    // A change after the day's first run: users already counted for the day stay as counted
    // (the change is the next day's), a user not yet moved that day is counted now, once.
    const late = await user();
    await sub({ userId: late, plan: "pln_basic" });
    await env.DB.prepare("update subscriptions set plan_id = 'pln_enterprise' where user_id = ?")
      .bind(users.a)
      .run();
    expect(await snapshot("2031-01-02")).toMatchObject({ changed: 1 }); // the late user only
    expect(await snapshot("2031-01-02")).toMatchObject({ changed: 0 });
    expect(await revenue("2031-01-02")).toEqual({
      ...row,
      mrr: 7600,
      arr: 91_200,
      paying_subscribers: 4,
      subscribers_by_plan: { basic: 2, pro: 2 },
      new_mrr: 3800,
      new_subscribers: 2,
    });
    // The next day picks up A's second upgrade.
    await snapshot("2031-01-03");
    expect(await revenue("2031-01-03")).toMatchObject({ expansion_mrr: 17_000, mrr: 24_600 });

    // An older day cannot be recomputed: nothing is written.
    const before = await mrrRows();
    expect(await snapshot("2031-01-01")).toEqual({ day: day("2031-01-01"), skipped_older_day: 1 });
    expect(await mrrRows()).toEqual(before);
  });

  it("adds a movement once even when two runs write the same change", async () => {
    // Two runs that both read the row before either wrote it: the second batch finds the row
    // already at the day and adds nothing.
    const u = await user();
    const change = [
      { u, c: "usd", m: 900, p: "pln_basic", e: 1 as const, k: "new" as const, a: 900 },
    ];
    const d = day("2031-01-10");
    await writeChanges(env.DB, d, d + DAY, change);
    await writeChanges(env.DB, d, d + DAY, change);
    expect(await revenue("2031-01-10")).toMatchObject({ new_mrr: 900, new_subscribers: 1 });
    expect(await mrrRows()).toEqual([
      { user_id: u, currency: "usd", mrr: 900, plan_id: "pln_basic", ever_paid: 1, updated_at: d },
    ]);
  });

  it("normalizes yearly plans and applies coupons while they cover the current period", async () => {
    const forever25 = await coupon({ percentOff: 25, duration: "forever" });
    const once500 = await coupon({ amountOff: 500, currency: "usd", duration: "once" });
    const repeat15 = await coupon({ percentOff: 15, duration: "repeating", durationMonths: 3 });
    const pct33 = await coupon({ percentOff: 33, duration: "forever" });
    const eur500 = await coupon({ amountOff: 500, currency: "eur", duration: "forever" });
    const start = at("2031-01-15T09:00:00Z");

    await sub({ userId: await user(), plan: "pln_pro", interval: "year" }); // 29000/12 → 2417
    await sub({ userId: await user(), plan: "pln_basic", interval: "year" }); // 9000/12 = 750
    await sub({ userId: await user(), plan: "pln_pro", couponId: forever25 }); // 2900 − 725
    const onceSub = await sub({
      userId: await user(),
      plan: "pln_pro",
      couponId: once500,
      createdAt: start,
      // Our row is written from the provider's event, seconds after its period began.
      periodStart: start - 30_000,
    }); // first period: 2900 − 500
    // 9000 − 1350 = 7650 a year → 637.5 a month → 638 (rounded once, half up)
    await sub({ userId: await user(), plan: "pln_basic", interval: "year", couponId: repeat15 });
    await sub({ userId: await user(), plan: "pln_basic", couponId: pct33 }); // 900 − 297
    await sub({ userId: await user(), plan: "pln_basic", couponId: eur500 }); // not usd: 900
    await sub({ userId: await user(), plan: "pln_pro", status: "trialing", couponId: forever25 });

    await snapshot("2031-01-20");
    expect(await revenue("2031-01-20")).toMatchObject({
      mrr: 2417 + 750 + 2175 + 2400 + 638 + 603 + 900, // 9883
      arr: 9883 * 12,
      paying_subscribers: 7,
      trials: 1,
      new_mrr: 9883,
      subscribers_by_plan: { basic: 4, pro: 3 },
    });

    // The next period of the `once` subscription is billed in full: +500.
    await setSub(onceSub, "current_period_start = ?", at("2031-02-15T08:59:30Z"));
    await snapshot("2031-02-15");
    expect(await revenue("2031-02-15")).toEqual(
      expect.objectContaining({ ...ZERO_MOVES, mrr: 10_383, expansion_mrr: 500 }),
    );
  });

  it("keeps each currency apart", async () => {
    await env.DB.prepare(
      `insert into plans (id, code, name, price_month, price_year, currency, features)
       values ('pln_an_eur', 'an-eur', 'Euro', 1500, 15000, 'eur', '{}')
       on conflict (code) do nothing`,
    ).run();
    const u = await user();
    await sub({ userId: u, plan: "pln_an_eur" });
    await sub({ userId: await user(), plan: "pln_basic" });
    await snapshot("2031-03-01");
    expect(await revenue("2031-03-01", "eur")).toMatchObject({
      mrr: 1500,
      paying_subscribers: 1,
      subscribers_by_plan: { "an-eur": 1 },
    });
    expect(await revenue("2031-03-01", "usd")).toMatchObject({ mrr: 900, paying_subscribers: 1 });
    await env.DB.batch([
      env.DB.prepare("delete from subscriptions where plan_id = 'pln_an_eur'"),
      env.DB.prepare("delete from plans where id = 'pln_an_eur'"),
    ]);
  });

  it(`walks users ${PAGE} at a time and misses no one at a page boundary`, async () => {
    // 2,500 users in id order; subscribers around each page boundary and at the end.
    await env.DB.prepare(
      `with recursive n(i) as (select 1 union all select i + 1 from n where i < 2500)
       insert into users (id, email, role, status, password_hash, settings, created_at, updated_at)
       select 'usr_zz' || printf('%05d', i), 'zz' || i || '@analytics.test', 'user', 'active', 'x',
         '{}', 0, 0 from n`,
    ).run();
    const { n } = (await env.DB.prepare("select count(*) as n from users").first<{
      n: number;
    }>()) ?? { n: 0 };
    const boundary = async (offset: number) => {
      const row = await env.DB.prepare("select id from users order by id limit 1 offset ?")
        .bind(offset)
        .first<{ id: string }>();
      return row?.id ?? "";
    };
    const ids = [
      await boundary(PAGE - 1),
      await boundary(PAGE),
      await boundary(2 * PAGE - 1),
      await boundary(2 * PAGE),
      await boundary(n - 1),
    ];
    for (const id of ids) await sub({ userId: id, plan: "pln_basic" });
    const counts = await snapshot("2031-04-01");
    // The last page is the one whose PAGE-th user does not exist.
    expect(counts).toMatchObject({ changed: 5, pages: Math.floor(n / PAGE) + 1 });
    expect(await revenue("2031-04-01")).toMatchObject({ mrr: 4500, paying_subscribers: 5 });
  });
});

// ---- pure parts ----------------------------------------------------------------------------

describe("pure snapshot and metric functions", () => {
  const plan = (price: number, year = price * 10) => ({
    id: "pln_x",
    code: "x",
    priceMonth: price,
    priceYear: year,
    currency: "usd",
  });
  const subscription = (months: number, interval: "month" | "year" = "month") => ({
    planId: "pln_x",
    interval,
    createdAt: at("2031-01-31T10:00:00Z"),
    trialEnd: null,
    // Periods follow the anchor's day, clamped: Jan 31, Feb 28, Mar 31, Apr 30.
    currentPeriodStart: addMonths(at("2031-01-31T10:00:00Z"), months),
  });

  it("counts whole months from the first paid period, with a day of slack", () => {
    expect(wholeMonths(at("2031-01-31T00:00:00Z"), at("2031-02-28T00:00:00Z"))).toBe(1);
    expect(wholeMonths(at("2031-01-15T00:00:00Z"), at("2031-02-14T23:59:59Z"))).toBe(0);
    expect(periodStartMonth(subscription(0))).toBe(0);
    expect(periodStartMonth(subscription(1))).toBe(1);
    expect(periodStartMonth(subscription(3))).toBe(3);
    // A trial moves the first paid period to its end.
    expect(
      periodStartMonth({
        ...subscription(0),
        trialEnd: at("2031-02-14T10:00:00Z"),
        currentPeriodStart: at("2031-03-14T10:00:00Z"),
      }),
    ).toBe(1);
  });

  it("applies once, repeating and forever coupons to the right periods", () => {
    const terms = (duration: "once" | "repeating" | "forever", durationMonths: number | null) => ({
      percentOff: null,
      amountOff: 300,
      currency: null,
      duration,
      durationMonths,
      planIds: null,
    });
    const charges = (c: ReturnType<typeof terms>) =>
      [0, 1, 2, 3].map((m) => periodCharge(subscription(m), plan(900), c));
    expect(charges(terms("once", null))).toEqual([600, 900, 900, 900]);
    expect(charges(terms("repeating", 2))).toEqual([600, 600, 900, 900]);
    expect(charges(terms("forever", null))).toEqual([600, 600, 600, 600]);
    // A coupon restricted to other plans does not apply.
    expect(
      periodCharge(subscription(0), plan(900), { ...terms("forever", null), planIds: ["pln_y"] }),
    ).toBe(900);
    // An amount never takes the price below zero.
    expect(
      periodCharge(subscription(0), plan(200), { ...terms("forever", null), amountOff: 500 }),
    ).toBe(0);
  });

  it("rounds a subscriber's MRR once, after summing exact monthly fractions", () => {
    // Two yearly charges of 1206: 100.5 a month each; 201 together (not 101 + 101).
    const yearly = { subscription: subscription(0, "year"), plan: plan(0, 1206), coupon: null };
    expect(userMrr([yearly, yearly]).get("usd")).toEqual({ mrr: 201, planId: "pln_x" });
    expect(userMrr([yearly]).get("usd")?.mrr).toBe(101);
    expect(userMrr([]).size).toBe(0);
  });

  it("classifies each kind of movement", () => {
    expect(classifyMovement(null, 900)).toEqual({ kind: "new", amount: 900 });
    expect(classifyMovement({ mrr: 0, everPaid: true }, 900)).toEqual({
      kind: "reactivation",
      amount: 900,
    });
    expect(classifyMovement({ mrr: 0, everPaid: false }, 900)).toEqual({
      kind: "new",
      amount: 900,
    });
    expect(classifyMovement({ mrr: 900, everPaid: true }, 2900)).toEqual({
      kind: "expansion",
      amount: 2000,
    });
    expect(classifyMovement({ mrr: 2900, everPaid: true }, 900)).toEqual({
      kind: "contraction",
      amount: 2000,
    });
    expect(classifyMovement({ mrr: 900, everPaid: true }, 0)).toEqual({
      kind: "churn",
      amount: 900,
    });
    expect(classifyMovement({ mrr: 900, everPaid: true }, 900)).toEqual({
      kind: "none",
      amount: 0,
    });
  });

  it("computes rates to 4 places, churn, months and LTV exactly", () => {
    expect(rate(1, 3)).toBe(0.3333);
    expect(rate(2, 3)).toBe(0.6667);
    expect(rate(1, 0)).toBeNull();
    expect(revenueChurn(900, 2000, 4700)).toBe(0.617);
    expect(rangeMonths(day("2031-01-01"), day("2031-01-31"))).toEqual({
      numerator: 1,
      denominator: 1,
    });
    expect(rangeMonths(day("2031-01-01"), day("2031-03-31"))).toEqual({
      numerator: 3,
      denominator: 1,
    });
    expect(rangeMonths(day("2031-01-02"), day("2031-01-03"))).toEqual({
      numerator: 2,
      denominator: 30,
    });
    // ARPU 1000, 10% monthly churn → 10000.
    expect(
      ltv({
        mrr: 10_000,
        payingSubscribers: 10,
        mrrAtStart: 10_000,
        lostMrr: 1000,
        months: { numerator: 1, denominator: 1 },
      }),
    ).toBe(10_000);
    expect(
      ltv({
        mrr: 10_000,
        payingSubscribers: 10,
        mrrAtStart: 10_000,
        lostMrr: 0,
        months: { numerator: 1, denominator: 1 },
      }),
    ).toBeNull();
  });

  it("recovers the levels before a snapshot from its movements", () => {
    const row = {
      day: day("2031-01-02"),
      currency: "usd",
      mrr: 6700,
      arr: 80_400,
      payingSubscribers: 3,
      trials: 0,
      subscribersByPlan: {},
      newMrr: 2900,
      expansionMrr: 2000,
      contractionMrr: 2000,
      churnedMrr: 900,
      reactivationMrr: 0,
      newSubscribers: 1,
      churnedSubscribers: 1,
      signups: 0,
      activeUsers: 0,
      createdAt: 0,
    } satisfies RevenueDay;
    expect(levelsBefore(row)).toEqual({ mrr: 4700, paying: 3 });
    expect(summarize([row], day("2031-01-03"), day("2031-01-04"))).toEqual({});
  });
});

// ---- routes --------------------------------------------------------------------------------

interface Summary {
  from: string;
  to: string;
  currencies: Record<string, Record<string, unknown>>;
}
interface Series {
  interval: string;
  from: string;
  to: string;
  series: Record<string, Record<string, unknown>[]>;
}

describe("admin analytics routes", () => {
  it("summarizes a range: levels at its end, movements over it, churn, ARPU and LTV", async () => {
    const { steps } = await history();
    await steps.jan1();
    await steps.jan2();
    await steps.jan3();

    const res = await get<Summary>(
      "/v1/admin/analytics/summary?from=2031-01-02&to=2031-01-03",
      admin.accessToken,
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      from: "2031-01-02",
      to: "2031-01-03",
      currencies: {
        usd: {
          as_of: "2031-01-03",
          mrr: 26_600,
          arr: 319_200,
          paying_subscribers: 4,
          trials: 0,
          subscribers_by_plan: { basic: 1, pro: 2, enterprise: 1 },
          mrr_at_start: 4700, // Jan 1's MRR
          paying_subscribers_at_start: 3,
          movements: {
            new_mrr: 2900,
            expansion_mrr: 2000,
            contraction_mrr: 2000,
            churned_mrr: 900,
            reactivation_mrr: 19_900,
            net_new_mrr: 21_900,
            new_subscribers: 2,
            churned_subscribers: 1,
          },
          logo_churn: 0.3333, // 1 / 3
          revenue_churn: 0.617, // (900 + 2000) / 4700 = 0.61702…
          // Two days of a 30-day month: 2900 × 30 / (4700 × 2) = 9.25531…
          monthly_revenue_churn: 9.2553,
          arpu: 6650, // 26600 / 4
          // 6650 ÷ 9.25531… = 26600 × 4700 × 2 / (4 × 2900 × 30) = 718.51 → 719
          ltv: 719,
          signups: 3,
          active_users: 8,
          avg_active_users: 7, // (5 + 8) / 2 = 6.5, half up
        },
      },
    });

    // From the very first snapshot there was nothing at the start: churn and LTV are undefined.
    const fromStart = await get<Summary>(
      "/v1/admin/analytics/summary?from=2031-01-01&to=2031-01-31",
      admin.accessToken,
    );
    expect(fromStart.body.currencies.usd).toMatchObject({
      as_of: "2031-01-03",
      mrr: 26_600,
      mrr_at_start: 0,
      logo_churn: null,
      revenue_churn: null,
      ltv: null,
      arpu: 6650,
    });
  });

  it("serves the MRR series by day and by month", async () => {
    const { steps } = await history();
    await steps.jan1();
    await steps.jan2();
    await steps.jan3();
    await steps.feb1();

    const days = await get<Series>(
      "/v1/admin/analytics/mrr?interval=day&from=2031-01-01&to=2031-01-03",
      admin.accessToken,
    );
    expect(days.status).toBe(200);
    expect(days.body.series.usd?.map((p) => [p.date, p.mrr, p.net_new_mrr])).toEqual([
      ["2031-01-01", 4700, 4700],
      ["2031-01-02", 6700, 2000],
      ["2031-01-03", 26_600, 19_900],
    ]);

    const months = await get<Series>(
      "/v1/admin/analytics/mrr?interval=month&from=2031-01-01&to=2031-02-28",
      admin.accessToken,
    );
    expect(months.body).toEqual({
      interval: "month",
      from: "2031-01-01",
      to: "2031-02-28",
      series: {
        usd: [
          {
            date: "2031-01",
            mrr: 26_600, // Jan 3, the month's last snapshot
            arr: 319_200,
            paying_subscribers: 4,
            trials: 0,
            subscribers_by_plan: { basic: 1, pro: 2, enterprise: 1 },
            new_mrr: 7600, // 4700 + 2900
            expansion_mrr: 2000,
            contraction_mrr: 2000,
            churned_mrr: 900,
            reactivation_mrr: 19_900,
            net_new_mrr: 26_600,
            new_subscribers: 5,
            churned_subscribers: 1,
          },
          {
            date: "2031-02",
            mrr: 23_700,
            arr: 284_400,
            paying_subscribers: 3,
            trials: 0,
            subscribers_by_plan: { basic: 1, pro: 1, enterprise: 1 },
            ...ZERO_MOVES,
            churned_mrr: 2900,
            churned_subscribers: 1,
            net_new_mrr: -2900,
          },
        ],
      },
    });
  });

  it("checks the range and who asks", async () => {
    const backwards = await get<{ code: string }>(
      "/v1/admin/analytics/summary?from=2031-02-01&to=2031-01-01",
      admin.accessToken,
    );
    expect(backwards.status).toBe(400);
    expect(backwards.body.code).toBe("invalid_request");
    const tooLong = await get<{ code: string }>(
      "/v1/admin/analytics/mrr?interval=day&from=2030-01-01&to=2031-06-01",
      admin.accessToken,
    );
    expect(tooLong.status).toBe(400);
    expect((await get("/v1/admin/analytics/mrr?interval=week", admin.accessToken)).status).toBe(
      400,
    );
    expect((await get("/v1/admin/analytics/summary?to=yesterday", admin.accessToken)).status).toBe(
      400,
    );
    // Defaults: the last 30 days up to yesterday.
    const defaults = await get<Series>("/v1/admin/analytics/mrr", admin.accessToken);
    expect(defaults.status).toBe(200);
    const yesterday = snapshotDay(Date.now());
    expect(defaults.body).toMatchObject({
      interval: "day",
      to: new Date(yesterday).toISOString().slice(0, 10),
      from: new Date(yesterday - 29 * DAY).toISOString().slice(0, 10),
    });

    const plain = await signup("plain");
    expect((await get("/v1/admin/analytics/summary", plain.accessToken)).status).toBe(403);
    expect((await get("/v1/admin/dashboard", plain.accessToken)).status).toBe(403);
    expect((await get("/v1/admin/dashboard", "not-a-token")).status).toBe(401);
  });
});

describe("admin dashboard", () => {
  interface Dashboard {
    users: { total: number; active_today: number };
    subscribers: { by_plan: Record<string, number>; by_status: Record<string, number> };
    mrr: Record<string, Record<string, unknown>>;
    failed_payments_7d: number;
    failed_webhook_events_7d: number;
  }

  it("counts users, subscribers, the latest MRR and the week's failures", async () => {
    const before = await get<Dashboard>("/v1/admin/dashboard", admin.accessToken);
    expect(before.status).toBe(200);
    const now = Date.now();

    const u1 = await user();
    await user(at("2031-01-01T00:00:00Z"), "deleted"); // not counted
    const statuses = ["active", "active", "trialing", "past_due", "canceled", "incomplete"];
    const planOf = ["pln_basic", "pln_basic", "pln_pro", "pln_pro", "pln_basic", "pln_pro"];
    const subIds: string[] = [];
    for (const [i, status] of statuses.entries()) {
      subIds.push(await sub({ userId: u1, plan: planOf[i] ?? "pln_basic", status }));
    }
    await env.DB.prepare(
      "insert into usage_daily_totals (day, allowed, denied, active_subjects, updated_at) values (?, 0, 0, 42, 0)",
    )
      .bind(Math.floor(now / DAY) * DAY)
      .run();
    const payment = (status: string, createdAt: number) =>
      env.DB.prepare(
        `insert into payments (id, user_id, subscription_id, provider, provider_payment_id, amount,
           currency, status, created_at, updated_at)
         values (?, ?, ?, 'manual', ?, 900, 'usd', ?, ?, ?)`,
      ).bind(newId("pay"), u1, subIds[0], newId("red"), status, createdAt, createdAt);
    const event = (status: string, receivedAt: number) =>
      env.DB.prepare(
        `insert into webhook_events (id, provider, provider_event_id, type, occurred_at, payload,
           status, received_at)
         values (?, 'stripe', ?, 'invoice.paid', ?, '{}', ?, ?)`,
      ).bind(newId("evt"), newId("red"), receivedAt, status, receivedAt);
    await env.DB.batch([
      payment("failed", now - DAY),
      payment("failed", now - 6 * DAY),
      payment("failed", now - 8 * DAY),
      payment("succeeded", now - DAY),
      event("failed", now - 2 * DAY),
      event("failed", now - 10 * DAY),
      event("processed", now - DAY),
    ]);
    // Two snapshot days: the dashboard shows the newest.
    await sub({ userId: await user(), plan: "pln_enterprise" });
    await snapshot("2031-05-01");
    await sub({ userId: await user(), plan: "pln_basic" });
    await snapshot("2031-05-02");

    const res = await get<Dashboard>("/v1/admin/dashboard", admin.accessToken);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      users: { total: before.body.users.total + 3, active_today: 42 },
      subscribers: {
        by_plan: { basic: 3, pro: 2, enterprise: 1 },
        by_status: {
          incomplete: 1,
          trialing: 1,
          active: 4,
          past_due: 1,
          paused: 0,
          canceled: 1,
          expired: 0,
        },
      },
      mrr: {
        // u1: 900 + 900 (active) + 2900 (past_due); then 19900, then 900.
        usd: { as_of: "2031-05-02", mrr: 25_500, arr: 306_000, paying_subscribers: 3, trials: 1 },
      },
      failed_payments_7d: 2,
      failed_webhook_events_7d: 1,
    });
  });
});
