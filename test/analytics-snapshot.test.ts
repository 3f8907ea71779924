// The daily revenue snapshot job against crafted subscription histories: movements classified,
// each day counted once, coupons and yearly plans normalized, currencies apart, every user seen.
// Every expected number is computed by hand.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { PAGE, writeChanges } from "../src/analytics/record-movements";
import { snapshotDay } from "../src/analytics/snapshot";
import {
  at,
  coupon,
  DAY,
  day,
  history,
  mrrRows,
  revenue,
  setSub,
  snapshot,
  sub,
  user,
  wipe,
  ZERO_MOVES,
} from "./analytics-helpers";
import { insertPlan } from "./fixtures";

beforeEach(wipe);

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
    await insertPlan({
      id: "pln_an_eur",
      code: "an-eur",
      name: "Euro",
      priceMonth: 1500,
      priceYear: 15000,
      currency: "eur",
    });
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
