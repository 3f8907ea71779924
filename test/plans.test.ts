import { env } from "cloudflare:workers";
import { Hono, type MiddlewareHandler } from "hono";
import { describe, expect, it } from "vitest";
import { openDb } from "../src/db";
import type { AppEnv } from "../src/lib/context";
import { onError } from "../src/lib/on-error";
import { meteredQuota } from "../src/plans/entitlements";
import { featureNotInPlan } from "../src/policy/features";
import { insertPlan, insertSubscription, type SubscriptionFields } from "./fixtures";
import {
  type ApiResponse,
  api,
  count,
  expectProblem,
  signup,
  signupAdmin,
  type TestUser,
} from "./helpers";

// Storage is shared by the tests of this file: each uses its own users and unique plan codes.

/** What the entitlement problems add to a problem answer. */
interface PlanProblem {
  feature?: string;
  cheapest_plan?: { id: string; code: string; name: string } | null;
  violations?: { window: string; limit: number; used: number; reset_at: string }[];
}

interface PlanView {
  id: string;
  code: string;
  name: string;
  description: string | null;
  prices: {
    month: { amount: number; currency: string };
    year: { amount: number; currency: string };
  };
  trial_days: number;
  limits: { minute: number | null; hour: number | null; day: number | null; month: number | null };
  features: Record<string, unknown>;
}

interface AdminPlanView extends PlanView {
  status: "active" | "archived";
  sort_order: number;
  provider_ids: Record<string, string | null>;
  created_at: string;
  updated_at: string;
}

const DAY = 86_400_000;

const rand = () => crypto.randomUUID().replaceAll("-", "").slice(0, 10);
const uniquePlanCode = () => `p${rand()}`;

const UNLIMITED = { minute: null, hour: null, day: null, month: null };

async function createPlan(admin: TestUser, body: Record<string, unknown> = {}) {
  const res = await api<AdminPlanView>("POST", "/v1/admin/plans", {
    token: admin.accessToken,
    body: { code: uniquePlanCode(), name: "Test plan", limits: UNLIMITED, ...body },
  });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

/** A subscription row written straight to D1, as a provider's event would leave it. */
async function subscribe(
  userId: string,
  planId: string,
  status: SubscriptionFields["status"] = "active",
) {
  const now = Date.now();
  await insertSubscription(userId, {
    planId,
    status,
    currentPeriodStart: now - DAY,
    currentPeriodEnd: now + 29 * DAY,
  });
}

const auditCount = (action: string, targetId: string) =>
  count("select count(*) as n from audit_log where action = ? and target_id = ?", action, targetId);

describe("GET /v1/plans", () => {
  it("lists the active plans, anonymously, with prices, limits and features", async () => {
    const res = await api<{ data: PlanView[] }>("GET", "/v1/plans");
    expect(res.status, res.text).toBe(200);
    const seeded = res.body.data.filter((p) =>
      ["free", "basic", "pro", "enterprise"].includes(p.code),
    );
    expect(seeded.map((p) => p.code)).toEqual(["free", "basic", "pro", "enterprise"]);
    expect(seeded[1]).toEqual({
      id: "pln_basic",
      code: "basic",
      name: "Basic",
      description: "For side projects",
      prices: { month: { amount: 900, currency: "usd" }, year: { amount: 9000, currency: "usd" } },
      trial_days: 14,
      limits: { minute: 60, hour: 500, day: 5000, month: 100000 },
      features: {
        max_api_keys: 5,
        exports: { limit: 50, window: "month" },
        webhooks: true,
        priority_support: false,
      },
    });
  });

  it("orders by sort_order and leaves archived plans out", async () => {
    const admin = await signupAdmin();
    const later = await createPlan(admin, { sort_order: 9001 });
    const sooner = await createPlan(admin, { sort_order: 9000 });
    const archived = await createPlan(admin, { sort_order: 8999, status: "archived" });
    const res = await api<{ data: PlanView[] }>("GET", "/v1/plans");
    const ids = res.body.data.map((p) => p.id);
    expect(ids).not.toContain(archived.id);
    expect(ids.indexOf(sooner.id)).toBeGreaterThan(ids.indexOf("pln_enterprise"));
    expect(ids.indexOf(later.id)).toBe(ids.indexOf(sooner.id) + 1);
  });
});

describe("admin plans", () => {
  it("creates a plan with an audit row, and gets it", async () => {
    const admin = await signupAdmin();
    const code = uniquePlanCode();
    const res = await api<AdminPlanView>("POST", "/v1/admin/plans", {
      token: admin.accessToken,
      body: {
        code,
        name: "Team",
        description: "For teams",
        prices: { month: 4900, year: 49000 },
        currency: "EUR",
        trial_days: 7,
        limits: { minute: 300, hour: 3000, day: null, month: 900000 },
        features: { webhooks: true, max_api_keys: 30, exports: { limit: 1000, window: "month" } },
        provider_ids: { stripe_price_month: `price_${code}_m`, paypal_plan_year: `P-${code}` },
        sort_order: 5,
      },
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({
      code,
      name: "Team",
      description: "For teams",
      prices: {
        month: { amount: 4900, currency: "eur" },
        year: { amount: 49000, currency: "eur" },
      },
      trial_days: 7,
      limits: { minute: 300, hour: 3000, day: null, month: 900000 },
      features: { webhooks: true, max_api_keys: 30, exports: { limit: 1000, window: "month" } },
      status: "active",
      sort_order: 5,
      provider_ids: {
        stripe_price_month: `price_${code}_m`,
        stripe_price_year: null,
        paypal_plan_month: null,
        paypal_plan_year: `P-${code}`,
      },
    });
    expect(res.body.id).toMatch(/^pln_/);
    expect(await auditCount("plan.create", res.body.id)).toBe(1);

    const got = await api<AdminPlanView>("GET", `/v1/admin/plans/${res.body.id}`, {
      token: admin.accessToken,
    });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(res.body);
    expectProblem(
      await api("GET", "/v1/admin/plans/pln_nothere", { token: admin.accessToken }),
      404,
      "not_found",
    );
  });

  it("refuses invalid plans with 400 naming each field", async () => {
    const admin = await signupAdmin();
    const cases: [Record<string, unknown>, string][] = [
      [{ code: "Bad Code" }, "code"],
      [{ code: "x" }, "code"],
      [{ limits: undefined }, "limits"],
      [{ limits: { minute: 1, hour: 1, day: 1 } }, "limits.month"],
      [{ limits: { ...UNLIMITED, minute: -1 } }, "limits.minute"],
      [{ features: { "Bad-Key": true } }, "features.Bad-Key"],
      [{ features: { exports: { limit: -1, window: "month" } } }, "features.exports"],
      [{ features: { exports: { limit: 5, window: "week" } } }, "features.exports"],
      [{ prices: { month: -100 } }, "prices.month"],
      [{ prices: { month: 9.99 } }, "prices.month"],
      [{ currency: "dollars" }, "currency"],
      [{ trial_days: 400 }, "trial_days"],
      [{ status: "deleted" }, "status"],
      [{ surprise: 1 }, ""],
    ];
    for (const [body, path] of cases) {
      const res = await api("POST", "/v1/admin/plans", {
        token: admin.accessToken,
        body: { code: uniquePlanCode(), name: "Invalid", limits: UNLIMITED, ...body },
      });
      const problem = expectProblem(res, 400, "invalid_request");
      const paths = problem.errors?.map((e) => e.path) ?? [];
      expect(
        paths.some((p) => p === path || p.startsWith(`${path}.`)),
        `${JSON.stringify(body)} → ${JSON.stringify(paths)}`,
      ).toBe(true);
    }
  });

  it("a taken code or provider id is a 409", async () => {
    const admin = await signupAdmin();
    expectProblem(
      await api("POST", "/v1/admin/plans", {
        token: admin.accessToken,
        body: { code: "basic", name: "Basic again", limits: UNLIMITED },
      }),
      409,
      "conflict",
    );
    const priceId = `price_${rand()}`;
    await createPlan(admin, { provider_ids: { stripe_price_year: priceId } });
    expectProblem(
      await api("POST", "/v1/admin/plans", {
        token: admin.accessToken,
        body: {
          code: uniquePlanCode(),
          name: "Clash",
          limits: UNLIMITED,
          provider_ids: { stripe_price_month: priceId },
        },
      }),
      409,
      "conflict",
    );
  });

  it("is for admins only", async () => {
    const user = await signup();
    expectProblem(await api("GET", "/v1/admin/plans"), 401, "unauthorized");
    expectProblem(
      await api("GET", "/v1/admin/plans", { token: user.accessToken }),
      403,
      "forbidden",
    );
    expectProblem(
      await api("DELETE", "/v1/admin/plans/pln_basic", { token: user.accessToken }),
      403,
      "forbidden",
    );
  });

  it("lists every plan, archived ones too", async () => {
    const admin = await signupAdmin();
    const archived = await createPlan(admin, { status: "archived" });
    const res = await api<{ data: AdminPlanView[] }>("GET", "/v1/admin/plans", {
      token: admin.accessToken,
    });
    expect(res.status).toBe(200);
    const found = res.body.data.find((p) => p.id === archived.id);
    expect(found?.status).toBe("archived");
    expect(res.body.data.map((p) => p.code)).toContain("free");
  });

  it("updates prices, limits and features in part, with before/after in the audit row", async () => {
    const admin = await signupAdmin();
    const plan = await createPlan(admin, {
      prices: { month: 1000, year: 10000 },
      limits: { minute: 10, hour: 100, day: 1000, month: 10000 },
      features: { webhooks: false },
    });
    const res = await api<AdminPlanView>("PATCH", `/v1/admin/plans/${plan.id}`, {
      token: admin.accessToken,
      body: {
        prices: { year: 9600 },
        limits: { day: 2000, month: null },
        features: { webhooks: true, exports: { limit: 10, window: "day" } },
        name: "Renamed",
        description: null,
        trial_days: 30,
        sort_order: 42,
        provider_ids: { stripe_price_month: `price_${rand()}` },
      },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      name: "Renamed",
      description: null,
      prices: { month: { amount: 1000 }, year: { amount: 9600 } },
      limits: { minute: 10, hour: 100, day: 2000, month: null },
      features: { webhooks: true, exports: { limit: 10, window: "day" } },
      trial_days: 30,
      sort_order: 42,
    });
    const row = await env.DB.prepare(
      "select data from audit_log where action = 'plan.update' and target_id = ?",
    )
      .bind(plan.id)
      .first<{ data: string }>();
    const data = JSON.parse(row?.data ?? "{}");
    expect(data.before).toMatchObject({ priceYear: 10000, limitDay: 1000, name: "Test plan" });
    expect(data.after).toMatchObject({ priceYear: 9600, limitDay: 2000, name: "Renamed" });
    expect(data.before).not.toHaveProperty("priceMonth");

    for (const body of [
      {},
      { features: { exports: { limit: "many", window: "month" } } },
      { code: "renamed" },
      { limits: { week: 5 } },
    ]) {
      expectProblem(
        await api("PATCH", `/v1/admin/plans/${plan.id}`, { token: admin.accessToken, body }),
        400,
        "invalid_request",
      );
    }
    expectProblem(
      await api("PATCH", "/v1/admin/plans/pln_nothere", {
        token: admin.accessToken,
        body: { name: "x" },
      }),
      404,
      "not_found",
    );
  });

  it("deletes a plan nobody subscribed to (204)", async () => {
    const admin = await signupAdmin();
    const plan = await createPlan(admin);
    const res = await api("DELETE", `/v1/admin/plans/${plan.id}`, { token: admin.accessToken });
    expect(res.status, res.text).toBe(204);
    expect(await count("select count(*) as n from plans where id = ?", plan.id)).toBe(0);
    expect(await auditCount("plan.delete", plan.id)).toBe(1);
    expectProblem(
      await api("GET", `/v1/admin/plans/${plan.id}`, { token: admin.accessToken }),
      404,
      "not_found",
    );
  });

  it("archives, never deletes, a plan with any subscription — even an ended one", async () => {
    const [admin, user] = await Promise.all([signupAdmin(), signup()]);
    const plan = await createPlan(admin, { prices: { month: 500 } });
    await subscribe(user.id, plan.id, "canceled");
    const res = await api<AdminPlanView>("DELETE", `/v1/admin/plans/${plan.id}`, {
      token: admin.accessToken,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.status).toBe("archived");
    expect(await count("select count(*) as n from plans where id = ?", plan.id)).toBe(1);
    expect(await auditCount("plan.archive", plan.id)).toBe(1);
    expect(await auditCount("plan.delete", plan.id)).toBe(0);
    const listed = await api<{ data: PlanView[] }>("GET", "/v1/plans");
    expect(listed.body.data.map((p) => p.id)).not.toContain(plan.id);
  });

  it("never deletes or archives the free plan", async () => {
    const admin = await signupAdmin();
    expectProblem(
      await api("DELETE", "/v1/admin/plans/pln_free", { token: admin.accessToken }),
      409,
      "conflict",
    );
    expectProblem(
      await api("PATCH", "/v1/admin/plans/pln_free", {
        token: admin.accessToken,
        body: { status: "archived" },
      }),
      409,
      "conflict",
    );
    const free = await env.DB.prepare("select status from plans where id = 'pln_free'").first<{
      status: string;
    }>();
    expect(free?.status).toBe("active");
  });

  it("new limits reach the plan's subscribers on their next request", async () => {
    const [admin, user] = await Promise.all([signupAdmin(), signup()]);
    const plan = await createPlan(admin, {
      limits: { minute: null, hour: null, day: 1000, month: null },
    });
    await subscribe(user.id, plan.id);
    // The user's RateLimiter loads the plan (day: 1000) and counts this call.
    const first = await api("GET", "/v1/ping", { token: user.accessToken });
    expect(first.status, first.text).toBe(200);
    const patched = await api("PATCH", `/v1/admin/plans/${plan.id}`, {
      token: admin.accessToken,
      body: { limits: { day: 1 } },
    });
    expect(patched.status, patched.text).toBe(200);
    const second = await api("GET", "/v1/ping", { token: user.accessToken });
    const problem = expectProblem<PlanProblem>(second, 429, "rate_limited");
    expect(problem.violations?.[0]).toMatchObject({ window: "day", limit: 1, used: 1 });
  });
});

describe("GET /v1/me/entitlements", () => {
  it("shows the free plan's features to a user without a subscription", async () => {
    const user = await signup();
    const res = await api("GET", "/v1/me/entitlements", { token: user.accessToken });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({
      plan: { id: "pln_free", code: "free", name: "Free" },
      features: {
        max_api_keys: 2,
        exports: { limit: 5, window: "month" },
        webhooks: false,
        priority_support: false,
      },
    });
    expectProblem(await api("GET", "/v1/me/entitlements"), 401, "unauthorized");
  });

  it("shows the subscribed plan's features, and the free plan's again once it ends", async () => {
    const [admin, user] = await Promise.all([signupAdmin(), signup()]);
    const plan = await createPlan(admin, { name: "Gold", features: { gold: true } });
    await subscribe(user.id, plan.id);
    const res = await api("GET", "/v1/me/entitlements", { token: user.accessToken });
    expect(res.body).toEqual({
      plan: { id: plan.id, code: plan.code, name: "Gold" },
      features: { gold: true },
    });
    await env.DB.prepare("update subscriptions set status = 'canceled' where user_id = ?")
      .bind(user.id)
      .run();
    const after = await api<{ plan: { code: string } }>("GET", "/v1/me/entitlements", {
      token: user.accessToken,
    });
    expect(after.body.plan.code).toBe("free");
  });
});

/** A throwaway app: a fake principal for `userId`, then the middleware under test. */
function appWith(userId: string, ...middleware: MiddlewareHandler<AppEnv>[]) {
  const app = new Hono<AppEnv>();
  app.use("*", async (c, next) => {
    c.set("db", openDb(env.DB));
    c.set("now", Date.now());
    c.set("principal", { userId, role: "user", sessionId: null, apiKeyId: null, expiresAt: null });
    await next();
  });
  for (const handler of middleware) app.use("/x", handler);
  app.get("/x", (c) => c.json({ ok: true }));
  app.onError(onError);
  return async () => {
    const res = await app.request("/x", {}, env);
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      text,
      body: text ? JSON.parse(text) : null,
    } as ApiResponse<unknown>;
  };
}

describe("feature_not_in_plan names the cheapest plan with the feature", () => {
  const cheapestFor = async (feature: string) =>
    (await featureNotInPlan(openDb(env.DB), feature)).toProblem();

  it("a flag the plan lacks names the cheapest plan with it; one nobody has names none", async () => {
    const denied = await cheapestFor("webhooks");
    expect(denied.status).toBe(403);
    expect(denied.code).toBe("feature_not_in_plan");
    expect(denied.feature).toBe("webhooks");
    expect(denied.cheapest_plan).toEqual({ id: "pln_basic", code: "basic", name: "Basic" });
    expect((await cheapestFor(`nothing_${rand()}`)).cheapest_plan).toBeNull();
  });

  it("the cheapest plan: lowest monthly price, then sort order, active and granting only", async () => {
    const feature = `sso_${rand()}`;
    const tag = rand();
    await insertPlan({
      id: `pln_a${tag}`,
      priceMonth: 5000,
      sortOrder: 1,
      features: { [feature]: true },
    });
    await insertPlan({
      id: `pln_b${tag}`,
      priceMonth: 3000,
      sortOrder: 9,
      features: { [feature]: true },
    });
    await insertPlan({
      id: `pln_c${tag}`,
      priceMonth: 1000,
      sortOrder: 0,
      features: { [feature]: true },
      status: "archived",
    });
    await insertPlan({
      id: `pln_d${tag}`,
      priceMonth: 500,
      sortOrder: 0,
      features: { [feature]: false },
    });
    await insertPlan({
      id: `pln_e${tag}`,
      priceMonth: 700,
      sortOrder: 0,
      features: { [feature]: 0 },
    });
    await insertPlan({
      id: `pln_f${tag}`,
      priceMonth: 800,
      sortOrder: 0,
      features: { [feature]: { limit: 0, window: "month" } },
    });
    expect((await cheapestFor(feature)).cheapest_plan).toMatchObject({ id: `pln_b${tag}` });
    // Same price, lower sort order: it wins.
    await insertPlan({
      id: `pln_g${tag}`,
      priceMonth: 3000,
      sortOrder: 2,
      features: { [feature]: 3 },
    });
    expect((await cheapestFor(feature)).cheapest_plan).toMatchObject({ id: `pln_g${tag}` });
  });
});

describe("meteredQuota", () => {
  it("counts a plan's quota exactly: the use past the limit is a 429 naming the quota", async () => {
    const user = await signup();
    // The free plan: exports {limit: 5, window: month}.
    const exportOnce = appWith(user.id, meteredQuota("exports"));
    for (let i = 0; i < 5; i++) expect((await exportOnce()).status).toBe(200);
    const res = await exportOnce();
    const problem = expectProblem<PlanProblem>(res, 429, "rate_limited");
    expect(problem.violations).toEqual([
      { window: "exports", limit: 5, used: 5, reset_at: expect.any(String) },
    ]);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    // A cost that does not fit is refused whole, even with room for part of it.
    const user2 = await signup();
    const bulk = appWith(user2.id, meteredQuota("exports", 3));
    expect((await bulk()).status).toBe(200);
    expectProblem(await bulk(), 429, "rate_limited");
  });

  it("a quota the plan does not have is a 403 naming the cheapest plan with it", async () => {
    const user = await signup();
    const feature = `reports_${rand()}`;
    await insertPlan({
      id: `pln_r${rand()}`,
      priceMonth: 1500,
      sortOrder: 0,
      features: { [feature]: { limit: 10, window: "day" } },
    });
    const problem = expectProblem<PlanProblem>(
      await appWith(user.id, meteredQuota(feature))(),
      403,
      "feature_not_in_plan",
    );
    expect(problem.feature).toBe(feature);
    expect(problem.cheapest_plan?.name).toMatch(/^Plan pln_r/);
  });

  it("GET /v1/me/export spends the plan's exports quota", async () => {
    const [admin, user] = await Promise.all([signupAdmin(), signup()]);
    const plan = await createPlan(admin, { features: { exports: { limit: 2, window: "month" } } });
    await subscribe(user.id, plan.id);
    for (let i = 0; i < 2; i++) {
      const ok = await api("GET", "/v1/me/export", { token: user.accessToken });
      expect(ok.status, ok.text).toBe(200);
    }
    const problem = expectProblem<PlanProblem>(
      await api("GET", "/v1/me/export", { token: user.accessToken }),
      429,
      "rate_limited",
    );
    expect(problem.violations?.[0]).toMatchObject({ window: "exports", limit: 2, used: 2 });
  });
});
