// The admin routes the console needs beyond the profile: the user list's plan, standing and
// usage with its filters, a user's subscription, a plan granted at no charge, a user's API keys.
import { describe, expect, it } from "vitest";
import { listAudit, listUsers, marker } from "./admin-helpers";
import {
  insertPayment,
  insertPlan,
  insertSubscription,
  setUserStatus,
  subscriptionById,
} from "./fixtures";
import { api, count, expectProblem, minuteLimit, signup, signupAdmin } from "./helpers";

interface Sub {
  id: string;
  plan: { id: string; code: string } | null;
  interval: string;
  status: string;
  provider: string;
  current_period_start: string | null;
  current_period_end: string | null;
}

const subscriptionOf = (token: string, userId: string) =>
  api<{ subscription: Sub | null }>("GET", `/v1/admin/users/${userId}/subscription`, { token });

const grant = (token: string, userId: string, body: unknown) =>
  api<{ subscription: Sub | null }>("PUT", `/v1/admin/users/${userId}/subscription`, {
    token,
    body,
  });

describe("GET /v1/admin/users: plan, standing, usage and filters", () => {
  it("shows each user's plan in force and standing, free and good without a subscription", async () => {
    const admin = await signupAdmin();
    const m = marker();
    const free = await signup(m);
    const pro = await signup(m);
    await insertSubscription(pro.id, { planId: "pln_pro", standing: "past_due" });
    // An unfinished checkout grants nothing: still free.
    const checkout = await signup(m);
    await insertSubscription(checkout.id, { planId: "pln_pro", status: "incomplete" });
    const res = await listUsers(admin.accessToken, { email: m });
    expect(res.status, res.text).toBe(200);
    const byId = new Map(res.body.data.map((u) => [u.id, u as unknown as Record<string, unknown>]));
    expect(byId.get(free.id)).toMatchObject({ plan: "free", standing: "good" });
    expect(byId.get(pro.id)).toMatchObject({ plan: "pro", standing: "past_due" });
    expect(byId.get(checkout.id)).toMatchObject({ plan: "free", standing: "good" });
    expect(byId.get(free.id)).not.toHaveProperty("usage");
  });

  it("filters by plan, standing and status, and combines them with the search", async () => {
    const admin = await signupAdmin();
    const m = marker();
    const free = await signup(m);
    const pro = await signup(m);
    const basic = await signup(m);
    const disabled = await signup(m);
    await insertSubscription(pro.id, { planId: "pln_pro", standing: "restricted" });
    await insertSubscription(basic.id, { planId: "pln_basic" });
    await setUserStatus(disabled.id, "disabled");
    const ids = async (query: Record<string, string>) =>
      (await listUsers(admin.accessToken, { email: m, ...query })).body.data
        .map((u) => u.id)
        .sort();
    expect(await ids({ plan: "pro" })).toEqual([pro.id]);
    expect(await ids({ plan: "basic" })).toEqual([basic.id]);
    expect(await ids({ plan: "free" })).toEqual([free.id, disabled.id].sort());
    expect(await ids({ standing: "restricted" })).toEqual([pro.id]);
    expect(await ids({ standing: "good" })).toEqual([free.id, basic.id, disabled.id].sort());
    expect(await ids({ status: "disabled" })).toEqual([disabled.id]);
    expect(await ids({ status: "active", plan: "free" })).toEqual([free.id]);
    expect(await ids({ plan: "enterprise" })).toEqual([]);
  });

  it("pages a filtered list without gaps", async () => {
    const admin = await signupAdmin();
    const m = marker();
    const pros = [];
    for (let i = 0; i < 3; i++) {
      const u = await signup(m);
      await insertSubscription(u.id, { planId: "pln_pro" });
      pros.push(u.id);
      await signup(m);
    }
    const first = await listUsers(admin.accessToken, { email: m, plan: "pro", limit: 2 });
    expect(first.body.data).toHaveLength(2);
    const second = await listUsers(admin.accessToken, {
      email: m,
      plan: "pro",
      limit: 2,
      cursor: first.body.next_cursor ?? "",
    });
    expect(second.body.next_cursor).toBeNull();
    expect([...first.body.data, ...second.body.data].map((u) => u.id).sort()).toEqual(pros.sort());
  });

  it("answers each user's windows with usage=true", async () => {
    const admin = await signupAdmin();
    const m = marker();
    const user = await signup(m);
    const limit = await minuteLimit(user); // one request counted
    await api("GET", "/v1/ping", { token: user.accessToken });
    const res = await listUsers(admin.accessToken, { email: m, usage: "true" });
    expect(res.status, res.text).toBe(200);
    const item = res.body.data[0] as unknown as {
      usage: Record<string, { used: number; limit: number | null; reset_at: string }>;
    };
    expect(Object.keys(item.usage).sort()).toEqual(["day", "hour", "minute", "month"]);
    expect(item.usage.minute).toMatchObject({ used: 2, limit });
    expect(item.usage.day?.used).toBe(2);
  });

  it("answers no usage for a deleted account", async () => {
    const admin = await signupAdmin();
    const m = marker();
    const gone = await signup(m);
    await setUserStatus(gone.id, "deleted");
    const res = await listUsers(admin.accessToken, { email: m, usage: "true" });
    expect(res.status, res.text).toBe(200);
    expect(res.body.data[0]).toMatchObject({ id: gone.id, usage: null });
  });

  it("rejects unknown filter values with 400 naming the field", async () => {
    const admin = await signupAdmin();
    for (const [field, value] of [
      ["standing", "great"],
      ["status", "gone"],
      ["plan", "Pro!"],
      ["usage", "yes"],
    ] as const) {
      const problem = expectProblem(
        await listUsers(admin.accessToken, { [field]: value }),
        400,
        "invalid_request",
      );
      expect(problem.errors?.map((e) => e.path)).toContain(field);
    }
  });
});

describe("GET /v1/admin/users/{id}/subscription", () => {
  it("answers null on the free plan, and the current subscription otherwise", async () => {
    const admin = await signupAdmin();
    const user = await signup();
    expect((await subscriptionOf(admin.accessToken, user.id)).body).toEqual({ subscription: null });
    const sub = await insertSubscription(user.id, { planId: "pln_pro", provider: "stripe" });
    const res = await subscriptionOf(admin.accessToken, user.id);
    expect(res.status, res.text).toBe(200);
    expect(res.body.subscription).toMatchObject({
      id: sub.id,
      plan: { id: "pln_pro", code: "pro" },
      provider: "stripe",
      status: "active",
    });
  });

  it("answers 404 for an unknown user and 403 for a non-admin", async () => {
    const admin = await signupAdmin();
    const user = await signup();
    expectProblem(await subscriptionOf(admin.accessToken, "usr_nobody"), 404, "not_found");
    expectProblem(await subscriptionOf(user.accessToken, user.id), 403, "forbidden");
  });
});

describe("PUT /v1/admin/users/{id}/subscription", () => {
  it("starts a manual subscription for one interval, in force on the next request", async () => {
    const admin = await signupAdmin();
    const user = await signup();
    const freeLimit = await minuteLimit(user);
    const res = await grant(admin.accessToken, user.id, { plan_id: "pln_pro", interval: "year" });
    expect(res.status, res.text).toBe(200);
    const sub = res.body.subscription;
    expect(sub).toMatchObject({
      plan: { id: "pln_pro", code: "pro" },
      interval: "year",
      status: "active",
      provider: "manual",
    });
    const start = Date.parse(sub?.current_period_start ?? "");
    const end = new Date(sub?.current_period_end ?? "");
    const expected = new Date(start);
    expected.setUTCFullYear(expected.getUTCFullYear() + 1);
    expect(end.getTime()).toBe(expected.getTime());
    expect(await minuteLimit(user)).not.toBe(freeLimit);
    expect((await subscriptionOf(admin.accessToken, user.id)).body.subscription?.id).toBe(sub?.id);

    const audit = await listAudit(admin.accessToken, {
      target_id: user.id,
      action: "subscription.grant",
    });
    expect(audit.body.data).toHaveLength(1);
    expect(audit.body.data[0]).toMatchObject({
      actor_id: admin.id,
      data: { before: null, after: { plan_id: "pln_pro", interval: "year" } },
    });
  });

  it("changes a manual subscription's plan in place, and the free plan ends it", async () => {
    const admin = await signupAdmin();
    const user = await signup();
    const first = await grant(admin.accessToken, user.id, { plan_id: "pln_basic" });
    expect(first.body.subscription?.interval).toBe("month");
    const changed = await grant(admin.accessToken, user.id, { plan_id: "pln_pro" });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.body.subscription?.id).toBe(first.body.subscription?.id);
    expect(changed.body.subscription?.plan?.code).toBe("pro");
    expect(await count("select count(*) as n from subscriptions where user_id = ?", user.id)).toBe(
      1,
    );

    const ended = await grant(admin.accessToken, user.id, { plan_id: "pln_free" });
    expect(ended.status, ended.text).toBe(200);
    expect(ended.body.subscription).toBeNull();
    const row = await subscriptionById(first.body.subscription?.id ?? "");
    expect(row.status).toBe("canceled");
    expect(row.endedAt).not.toBeNull();
    const list = await listUsers(admin.accessToken, { email: user.email });
    expect(list.body.data[0]).toMatchObject({ plan: "free" });
    // Free again on free: nothing to do, nothing recorded.
    const again = await grant(admin.accessToken, user.id, { plan_id: "pln_free" });
    expect(again.body.subscription).toBeNull();
    const audit = await listAudit(admin.accessToken, {
      target_id: user.id,
      action: "subscription.grant",
    });
    expect(audit.body.data).toHaveLength(3);
  });

  it("supersedes an unfinished checkout", async () => {
    const admin = await signupAdmin();
    const user = await signup();
    const checkout = await insertSubscription(user.id, {
      status: "incomplete",
      provider: "stripe",
    });
    const res = await grant(admin.accessToken, user.id, { plan_id: "pln_pro" });
    expect(res.status, res.text).toBe(200);
    expect((await subscriptionById(checkout.id)).status).toBe("expired");
  });

  it("refuses a user who pays through a provider, an archived plan and a deleted account", async () => {
    const admin = await signupAdmin();
    const payer = await signup();
    await insertSubscription(payer.id, { provider: "stripe", providerSubscriptionId: marker("s") });
    expectProblem(
      await grant(admin.accessToken, payer.id, { plan_id: "pln_basic" }),
      409,
      "conflict",
    );

    const user = await signup();
    const archived = await insertPlan({ status: "archived" });
    expectProblem(
      await grant(admin.accessToken, user.id, { plan_id: archived.id }),
      409,
      "plan_not_available",
    );
    expectProblem(
      await grant(admin.accessToken, user.id, { plan_id: "pln_nothere" }),
      404,
      "not_found",
    );
    await setUserStatus(user.id, "deleted");
    expectProblem(
      await grant(admin.accessToken, user.id, { plan_id: "pln_pro" }),
      403,
      "forbidden",
    );
    expect(
      await count(
        "select count(*) as n from audit_log where action = 'subscription.grant' and target_id in (?, ?)",
        payer.id,
        user.id,
      ),
    ).toBe(0);
  });

  it("validates the body and the interval", async () => {
    const admin = await signupAdmin();
    const user = await signup();
    for (const body of [
      {},
      { plan_id: "pro" },
      { plan_id: "pln_pro", interval: "week" },
      { plan_id: "pln_pro", extra: 1 },
    ]) {
      expectProblem(await grant(admin.accessToken, user.id, body), 400, "invalid_request");
    }
    expectProblem(await grant(user.accessToken, user.id, { plan_id: "pln_pro" }), 403, "forbidden");
  });
});

describe("GET /v1/admin/users/{id}/api-keys", () => {
  it("lists the user's live keys without the key or its hash", async () => {
    const admin = await signupAdmin();
    const user = await signup();
    const created = await api<{ id: string; key: string }>("POST", "/v1/me/api-keys", {
      token: user.accessToken,
      body: { name: "ci" },
    });
    const revoked = await api<{ id: string }>("POST", "/v1/me/api-keys", {
      token: user.accessToken,
      body: { name: "old" },
    });
    await api("DELETE", `/v1/me/api-keys/${revoked.body.id}`, { token: user.accessToken });
    const res = await api<{ data: { id: string; name: string }[] }>(
      "GET",
      `/v1/admin/users/${user.id}/api-keys`,
      { token: admin.accessToken },
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body.data.map((k) => [k.id, k.name])).toEqual([[created.body.id, "ci"]]);
    expect(res.text).not.toContain(created.body.key);
    expectProblem(
      await api("GET", "/v1/admin/users/usr_nobody/api-keys", { token: admin.accessToken }),
      404,
      "not_found",
    );
  });
});

describe("GET /v1/admin/payments", () => {
  it("names whose each payment is (the console's CSV needs it)", async () => {
    const admin = await signupAdmin();
    const user = await signup();
    const payment = await insertPayment(user.id);
    const res = await api<{ data: { id: string; user_id: string }[] }>(
      "GET",
      `/v1/admin/payments?user_id=${user.id}`,
      { token: admin.accessToken },
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body.data.map((p) => [p.id, p.user_id])).toEqual([[payment.id, user.id]]);
  });
});
