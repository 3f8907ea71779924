// The admin analytics and dashboard routes over snapshots of crafted histories.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { adminAnalyticsRoutes, adminDashboardRoutes } from "../src/analytics/routes";
import { snapshotDay } from "../src/analytics/snapshot";
import { buildApp } from "../src/app";
import { newId } from "../src/lib/ids";
import { at, DAY, history, snapshot, sub, user, wipe, ZERO_MOVES } from "./analytics-helpers";
import { insertPayment } from "./fixtures";
import { signup, signupAdmin, type TestUser } from "./helpers";

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

let admin: TestUser;
beforeAll(async () => {
  admin = await signupAdmin();
});
beforeEach(wipe);

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
    const statuses = [
      "active",
      "active",
      "trialing",
      "past_due",
      "canceled",
      "incomplete",
    ] as const;
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
    const payments = [
      ["failed", now - DAY],
      ["failed", now - 6 * DAY],
      ["failed", now - 8 * DAY],
      ["succeeded", now - DAY],
    ] as const;
    for (const [status, createdAt] of payments) {
      await insertPayment(u1, { subscriptionId: subIds[0], status, createdAt });
    }
    const event = (status: string, receivedAt: number) =>
      env.DB.prepare(
        `insert into webhook_events (id, provider, provider_event_id, type, occurred_at, payload,
           status, received_at)
         values (?, 'stripe', ?, 'invoice.paid', ?, '{}', ?, ?)`,
      ).bind(newId("evt"), newId("red"), receivedAt, status, receivedAt);
    await env.DB.batch([
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
