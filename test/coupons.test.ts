import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { insertPlan } from "./fixtures";
import {
  type ApiResponse,
  api,
  count,
  expectProblem,
  signup,
  signupAdmin,
  type TestUser,
} from "./helpers";

// Storage is shared by the tests of this file: each uses its own users and unique codes.

interface CouponView {
  id: string;
  code: string;
  name: string | null;
  percent_off: number | null;
  amount_off: number | null;
  currency: string | null;
  duration: "once" | "repeating" | "forever";
  duration_months: number | null;
  expires_at: string | null;
  max_redemptions: number | null;
  times_redeemed: number;
  plan_ids: string[] | null;
  active: boolean;
  created_at: string;
  updated_at: string;
}

interface Breakdown {
  code: string;
  plan_id: string;
  interval: string;
  currency: string;
  price: number;
  discount: number;
  total: number;
  duration: string;
  duration_months: number | null;
}

function uniqueCode(prefix = "C"): string {
  return `${prefix}${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`.toUpperCase();
}

async function createCoupon(admin: TestUser, body: Record<string, unknown>): Promise<CouponView> {
  const res = await api<CouponView>("POST", "/v1/admin/coupons", {
    token: admin.accessToken,
    body: { code: uniqueCode(), duration: "forever", ...body },
  });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

function validate(user: TestUser, code: string, plan_id = "pln_pro", interval = "month") {
  return api<Breakdown>("POST", "/v1/coupons/validate", {
    token: user.accessToken,
    body: { code, plan_id, interval },
  });
}

async function expectRule(res: ApiResponse<unknown>, rule: string) {
  const problem = expectProblem<{ rule?: string }>(res, 400, "coupon_not_applicable");
  expect(problem.rule).toBe(rule);
}

const auditCount = (action: string, targetId: string) =>
  count("select count(*) as n from audit_log where action = ? and target_id = ?", action, targetId);

describe("POST /v1/coupons/validate", () => {
  it("prices the first invoice; codes are case-insensitive", async () => {
    const [admin, user] = await Promise.all([signupAdmin(), signup()]);
    const coupon = await createCoupon(admin, { percent_off: 20 });
    const res = await validate(user, coupon.code.toLowerCase(), "pln_pro", "month");
    expect(res.status, res.text).toBe(200);
    // Pro monthly 2900; 20% = 580.
    expect(res.body).toMatchObject({
      code: coupon.code,
      plan_id: "pln_pro",
      interval: "month",
      currency: "usd",
      price: 2900,
      discount: 580,
      total: 2320,
      duration: "forever",
      duration_months: null,
    });

    const amountOff = await createCoupon(admin, {
      amount_off: 500,
      currency: "USD",
      duration: "repeating",
      duration_months: 3,
    });
    const yearly = await validate(user, ` ${amountOff.code} `, "pln_basic", "year");
    expect(yearly.status, yearly.text).toBe(200);
    expect(yearly.body).toMatchObject({
      price: 9000,
      discount: 500,
      total: 8500,
      duration: "repeating",
      duration_months: 3,
    });

    // An amount larger than the price takes it to 0, never below.
    const big = await createCoupon(admin, { amount_off: 5000, currency: "usd" });
    const capped = await validate(user, big.code, "pln_basic", "month");
    expect(capped.body).toMatchObject({ price: 900, discount: 900, total: 0 });
  });

  it("rule not_found", async () => {
    const user = await signup();
    await expectRule(await validate(user, uniqueCode("NOPE")), "not_found");
  });

  it("rule inactive", async () => {
    const [admin, user] = await Promise.all([signupAdmin(), signup()]);
    const coupon = await createCoupon(admin, { percent_off: 10, active: false });
    await expectRule(await validate(user, coupon.code), "inactive");
  });

  it("rule expired", async () => {
    const [admin, user] = await Promise.all([signupAdmin(), signup()]);
    const coupon = await createCoupon(admin, {
      percent_off: 10,
      expires_at: new Date(Date.now() + 60_000).toISOString(),
    });
    expect((await validate(user, coupon.code)).status).toBe(200);
    await env.DB.prepare("update coupons set expires_at = ? where id = ?")
      .bind(Date.now() - 1, coupon.id)
      .run();
    await expectRule(await validate(user, coupon.code), "expired");
  });

  it("rule max_redemptions", async () => {
    const [admin, user] = await Promise.all([signupAdmin(), signup()]);
    const coupon = await createCoupon(admin, { percent_off: 10, max_redemptions: 2 });
    await env.DB.prepare("update coupons set times_redeemed = 1 where id = ?")
      .bind(coupon.id)
      .run();
    expect((await validate(user, coupon.code)).status).toBe(200);
    await env.DB.prepare("update coupons set times_redeemed = 2 where id = ?")
      .bind(coupon.id)
      .run();
    await expectRule(await validate(user, coupon.code), "max_redemptions");
  });

  it("rule already_redeemed: once per user", async () => {
    const [admin, user, other] = await Promise.all([signupAdmin(), signup(), signup("other")]);
    const coupon = await createCoupon(admin, { percent_off: 10 });
    await env.DB.prepare(
      "insert into coupon_redemptions (id, coupon_id, user_id, created_at) values (?, ?, ?, ?)",
    )
      .bind(`red_${crypto.randomUUID().slice(0, 8)}`, coupon.id, user.id, Date.now())
      .run();
    await expectRule(await validate(user, coupon.code), "already_redeemed");
    // Someone else still can.
    expect((await validate(other, coupon.code)).status).toBe(200);
  });

  it("rule plan_not_eligible", async () => {
    const [admin, user] = await Promise.all([signupAdmin(), signup()]);
    const coupon = await createCoupon(admin, { percent_off: 10, plan_ids: ["pln_pro"] });
    expect((await validate(user, coupon.code, "pln_pro")).status).toBe(200);
    await expectRule(await validate(user, coupon.code, "pln_basic"), "plan_not_eligible");
  });

  it("rule currency_mismatch: an amount off in another currency than the plan's", async () => {
    const [admin, user] = await Promise.all([signupAdmin(), signup()]);
    const coupon = await createCoupon(admin, { amount_off: 500, currency: "eur" });
    await expectRule(await validate(user, coupon.code), "currency_mismatch");
  });

  it("needs authentication, a valid body, a known plan on offer", async () => {
    const [admin, user] = await Promise.all([signupAdmin(), signup()]);
    const coupon = await createCoupon(admin, { percent_off: 10 });
    expectProblem(
      await api("POST", "/v1/coupons/validate", {
        body: { code: coupon.code, plan_id: "pln_pro", interval: "month" },
      }),
      401,
      "unauthorized",
    );
    const bad = expectProblem(
      await api("POST", "/v1/coupons/validate", {
        token: user.accessToken,
        body: { code: coupon.code, plan_id: "pln_pro", interval: "week" },
      }),
      400,
      "invalid_request",
    );
    expect(bad.errors?.map((e) => e.path)).toContain("interval");
    expectProblem(await validate(user, coupon.code, "pln_nope"), 404, "not_found");
    await insertPlan({
      id: "pln_gone",
      name: "Gone",
      status: "archived",
      priceMonth: 100,
      priceYear: 1000,
    });
    expectProblem(await validate(user, coupon.code, "pln_gone"), 409, "plan_not_available");
  });
});

describe("admin coupons", () => {
  it("creates a coupon (code upper-cased) with an audit row", async () => {
    const admin = await signupAdmin();
    const code = uniqueCode("launch").toLowerCase();
    const res = await api<CouponView>("POST", "/v1/admin/coupons", {
      token: admin.accessToken,
      body: {
        code,
        name: "Launch",
        percent_off: 25,
        duration: "repeating",
        duration_months: 6,
        max_redemptions: 100,
        plan_ids: ["pln_basic", "pln_pro"],
        expires_at: "2999-01-01T00:00:00Z",
      },
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({
      code: code.toUpperCase(),
      name: "Launch",
      percent_off: 25,
      amount_off: null,
      currency: null,
      duration: "repeating",
      duration_months: 6,
      max_redemptions: 100,
      times_redeemed: 0,
      plan_ids: ["pln_basic", "pln_pro"],
      active: true,
      expires_at: "2999-01-01T00:00:00.000Z",
    });
    expect(res.body.id).toMatch(/^cpn_/);
    expect(await auditCount("coupon.create", res.body.id)).toBe(1);
    const stored = await env.DB.prepare("select code from coupons where id = ?")
      .bind(res.body.id)
      .first<{ code: string }>();
    expect(stored?.code).toBe(code.toUpperCase());
  });

  it("refuses invalid coupons with 400 naming each field", async () => {
    const admin = await signupAdmin();
    const prefix = uniqueCode("BAD");
    const cases: [Record<string, unknown>, string][] = [
      [{ percent_off: 10, amount_off: 100, currency: "usd" }, "percent_off"],
      [{}, "percent_off"],
      [{ amount_off: 100 }, "currency"],
      [{ percent_off: 10, currency: "usd" }, "currency"],
      [{ percent_off: 10, duration: "repeating" }, "duration_months"],
      [{ percent_off: 10, duration: "repeating", duration_months: 37 }, "duration_months"],
      [{ percent_off: 10, duration: "once", duration_months: 3 }, "duration_months"],
      [{ percent_off: 101 }, "percent_off"],
      [{ percent_off: 0 }, "percent_off"],
      [{ amount_off: 0, currency: "usd" }, "amount_off"],
      [{ amount_off: 1.5, currency: "usd" }, "amount_off"],
      [{ percent_off: 10, code: "a!" }, "code"],
      [{ percent_off: 10, code: "AB" }, "code"],
      [{ percent_off: 10, plan_ids: ["pln_doesnotexist"] }, "plan_ids.0"],
      [{ percent_off: 10, expires_at: "2001-01-01T00:00:00Z" }, "expires_at"],
      [{ percent_off: 10, duration: "weekly" }, "duration"],
      [{ percent_off: 10, surprise: true }, ""],
    ];
    for (const [body, path] of cases) {
      const res = await api("POST", "/v1/admin/coupons", {
        token: admin.accessToken,
        body: { code: `${prefix}${uniqueCode("-")}`, duration: "forever", ...body },
      });
      const problem = expectProblem(res, 400, "invalid_request");
      expect(
        problem.errors?.map((e) => e.path),
        JSON.stringify(body),
      ).toContain(path);
    }
    expect(await count("select count(*) as n from coupons where code like ?", `${prefix}%`)).toBe(
      0,
    );
  });

  it("a duplicate code is a 409, whatever its case", async () => {
    const admin = await signupAdmin();
    const coupon = await createCoupon(admin, { percent_off: 10 });
    const res = await api("POST", "/v1/admin/coupons", {
      token: admin.accessToken,
      body: { code: coupon.code.toLowerCase(), percent_off: 50, duration: "once" },
    });
    expectProblem(res, 409, "conflict");
    expect(await count("select count(*) as n from coupons where code = ?", coupon.code)).toBe(1);
  });

  it("is for admins only", async () => {
    const user = await signup();
    expectProblem(await api("GET", "/v1/admin/coupons"), 401, "unauthorized");
    expectProblem(
      await api("GET", "/v1/admin/coupons", { token: user.accessToken }),
      403,
      "forbidden",
    );
    expectProblem(
      await api("POST", "/v1/admin/coupons", {
        token: user.accessToken,
        body: { code: uniqueCode(), percent_off: 10, duration: "once" },
      }),
      403,
      "forbidden",
    );
  });

  it("counts an admin call once, in the admin's account window", async () => {
    const admin = await signupAdmin();
    const res = await api("GET", "/v1/admin/coupons", { token: admin.accessToken });
    expect(res.headers.get("ratelimit")).toMatch(/^"account";r=299;t=\d+$/);
    const usage = await api<{ windows: { day: { used: number } } }>("GET", "/v1/me/usage", {
      token: admin.accessToken,
    });
    // Neither call is the sold API: nothing in the plan's windows.
    expect(usage.body.windows.day.used).toBe(0);
  });

  it("lists newest first with a cursor, and filters on active", async () => {
    const admin = await signupAdmin();
    const a = await createCoupon(admin, { percent_off: 10 });
    const b = await createCoupon(admin, { percent_off: 20, active: false });
    const c = await createCoupon(admin, { percent_off: 30 });
    // Distinct creation times newer than any other coupon's, oldest a.
    for (const [i, coupon] of [a, b, c].entries()) {
      await env.DB.prepare("update coupons set created_at = ? where id = ?")
        .bind(4_000_000_000_000 + i, coupon.id)
        .run();
    }
    const first = await api<{ data: CouponView[]; next_cursor: string | null }>(
      "GET",
      "/v1/admin/coupons?limit=2",
      { token: admin.accessToken },
    );
    expect(first.status, first.text).toBe(200);
    expect(first.body.data.map((x) => x.id)).toEqual([c.id, b.id]);
    expect(first.body.next_cursor).toBeTruthy();
    const second = await api<{ data: CouponView[]; next_cursor: string | null }>(
      "GET",
      `/v1/admin/coupons?limit=2&cursor=${first.body.next_cursor}`,
      { token: admin.accessToken },
    );
    expect(second.body.data[0]?.id).toBe(a.id);
    const inactive = await api<{ data: CouponView[] }>(
      "GET",
      "/v1/admin/coupons?active=false&limit=100",
      { token: admin.accessToken },
    );
    const ids = inactive.body.data.map((x) => x.id);
    expect(ids[0]).toBe(b.id);
    expect(ids).not.toContain(a.id);
    expect(ids).not.toContain(c.id);
    expect(inactive.body.data.every((x) => !x.active)).toBe(true);
    expectProblem(
      await api("GET", "/v1/admin/coupons?cursor=garbage", { token: admin.accessToken }),
      400,
      "invalid_request",
    );
  });

  it("gets one coupon; an unknown id is a 404", async () => {
    const admin = await signupAdmin();
    const coupon = await createCoupon(admin, { percent_off: 10 });
    const res = await api<CouponView>("GET", `/v1/admin/coupons/${coupon.id}`, {
      token: admin.accessToken,
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(coupon);
    expectProblem(
      await api("GET", "/v1/admin/coupons/cpn_unknown", { token: admin.accessToken }),
      404,
      "not_found",
    );
    expectProblem(
      await api("GET", "/v1/admin/coupons/not-an-id", { token: admin.accessToken }),
      400,
      "invalid_request",
    );
  });

  it("updates name, limits, plans and active, with before/after in the audit row", async () => {
    const admin = await signupAdmin();
    const coupon = await createCoupon(admin, { percent_off: 10, name: "Old" });
    const res = await api<CouponView>("PATCH", `/v1/admin/coupons/${coupon.id}`, {
      token: admin.accessToken,
      body: {
        name: "New",
        max_redemptions: 5,
        plan_ids: ["pln_pro"],
        active: false,
        expires_at: "2999-06-01T00:00:00Z",
      },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      name: "New",
      max_redemptions: 5,
      plan_ids: ["pln_pro"],
      active: false,
      expires_at: "2999-06-01T00:00:00.000Z",
      percent_off: 10,
    });
    const audit = await env.DB.prepare(
      "select data from audit_log where action = 'coupon.update' and target_id = ?",
    )
      .bind(coupon.id)
      .first<{ data: string }>();
    const data = JSON.parse(audit?.data ?? "{}");
    expect(data.before).toMatchObject({ name: "Old", active: true, max_redemptions: null });
    expect(data.after).toMatchObject({ name: "New", active: false, max_redemptions: 5 });

    // Clearing with null.
    const cleared = await api<CouponView>("PATCH", `/v1/admin/coupons/${coupon.id}`, {
      token: admin.accessToken,
      body: { plan_ids: null, expires_at: null, name: null },
    });
    expect(cleared.body).toMatchObject({ plan_ids: null, expires_at: null, name: null });

    expectProblem(
      await api("PATCH", `/v1/admin/coupons/${coupon.id}`, { token: admin.accessToken, body: {} }),
      400,
      "invalid_request",
    );
    expectProblem(
      await api("PATCH", `/v1/admin/coupons/${coupon.id}`, {
        token: admin.accessToken,
        body: { code: "RENAMED" },
      }),
      400,
      "invalid_request",
    );
  });

  it("the discount can change until the coupon is redeemed, then never", async () => {
    const admin = await signupAdmin();
    const coupon = await createCoupon(admin, { percent_off: 10 });
    const switched = await api<CouponView>("PATCH", `/v1/admin/coupons/${coupon.id}`, {
      token: admin.accessToken,
      body: { amount_off: 300, currency: "usd", duration: "repeating", duration_months: 2 },
    });
    expect(switched.status, switched.text).toBe(200);
    expect(switched.body).toMatchObject({
      percent_off: null,
      amount_off: 300,
      currency: "usd",
      duration: "repeating",
      duration_months: 2,
    });
    // The merged discount is checked like a new one.
    const invalid = expectProblem(
      await api("PATCH", `/v1/admin/coupons/${coupon.id}`, {
        token: admin.accessToken,
        body: { duration: "repeating", duration_months: null },
      }),
      400,
      "invalid_request",
    );
    expect(invalid.errors?.map((e) => e.path)).toContain("duration_months");

    await env.DB.prepare("update coupons set times_redeemed = 3 where id = ?")
      .bind(coupon.id)
      .run();
    expectProblem(
      await api("PATCH", `/v1/admin/coupons/${coupon.id}`, {
        token: admin.accessToken,
        body: { amount_off: 400 },
      }),
      409,
      "conflict",
    );
    // Below what has been redeemed already.
    expectProblem(
      await api("PATCH", `/v1/admin/coupons/${coupon.id}`, {
        token: admin.accessToken,
        body: { max_redemptions: 2 },
      }),
      409,
      "conflict",
    );
    // Everything else still can.
    const renamed = await api<CouponView>("PATCH", `/v1/admin/coupons/${coupon.id}`, {
      token: admin.accessToken,
      body: { name: "Still editable", max_redemptions: 3 },
    });
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.body.amount_off).toBe(300);
  });

  it("deletes an unused coupon (204) and deactivates a redeemed one (200)", async () => {
    const [admin, user] = await Promise.all([signupAdmin(), signup()]);
    const unused = await createCoupon(admin, { percent_off: 10 });
    const del = await api("DELETE", `/v1/admin/coupons/${unused.id}`, {
      token: admin.accessToken,
    });
    expect(del.status, del.text).toBe(204);
    expect(await count("select count(*) as n from coupons where id = ?", unused.id)).toBe(0);
    expect(await auditCount("coupon.delete", unused.id)).toBe(1);
    expectProblem(
      await api("DELETE", `/v1/admin/coupons/${unused.id}`, { token: admin.accessToken }),
      404,
      "not_found",
    );

    const used = await createCoupon(admin, { percent_off: 10 });
    await env.DB.prepare(
      "insert into coupon_redemptions (id, coupon_id, user_id, created_at) values (?, ?, ?, ?)",
    )
      .bind(`red_${crypto.randomUUID().slice(0, 8)}`, used.id, user.id, Date.now())
      .run();
    const deactivated = await api<CouponView>("DELETE", `/v1/admin/coupons/${used.id}`, {
      token: admin.accessToken,
    });
    expect(deactivated.status, deactivated.text).toBe(200);
    expect(deactivated.body.active).toBe(false);
    expect(await count("select count(*) as n from coupons where id = ?", used.id)).toBe(1);
    expect(await auditCount("coupon.deactivate", used.id)).toBe(1);
    expect(await auditCount("coupon.delete", used.id)).toBe(0);
  });
});
