// Who may use /v1/admin: 401 without a token, 403 for a non-admin (the role re-checked in D1,
// not trusted from the token), and no admin path that does not exist.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import { signAccessToken } from "../src/auth/tokens";
import { loadConfig } from "../src/env";
import { pushPolicyBeforeCommit } from "../src/ratelimit/client";
import { auditRows, jwtClaims, listUsers, userRow } from "./admin-helpers";
import { setUserRole, setUserStatus } from "./fixtures";
import { api, count, expectProblem, login, signup, signupAdmin } from "./helpers";

// ---------------------------------------------------------------------------------------------
// Access control
// ---------------------------------------------------------------------------------------------

describe("admin access control", () => {
  const routes = (id: string): [string, string, unknown?][] => [
    ["GET", "/v1/admin/users"],
    ["GET", `/v1/admin/users/${id}`],
    ["PATCH", `/v1/admin/users/${id}`, { status: "disabled" }],
    ["GET", "/v1/admin/audit"],
  ];

  it("guards every /v1/admin route the app has: 401 without a token, 403 for a non-admin", async () => {
    const user = await signup();
    const target = await signup();
    // More admin routes than the free plan's 20 requests a minute: lift this user's limits.
    const unlimited = { minute: null, hour: null, day: null, month: null };
    await pushPolicyBeforeCommit(env, user.id, { limits: unlimited }, Date.now());
    const adminRoutes = [
      ...new Set(
        app.routes
          .filter((r) => r.method !== "ALL" && !r.path.includes("*"))
          .filter((r) => r.path.startsWith("/v1/admin/"))
          .map((r) => `${r.method} ${r.path}`),
      ),
    ];
    expect(adminRoutes).toEqual(
      expect.arrayContaining([
        "GET /v1/admin/users",
        "GET /v1/admin/users/:id",
        "PATCH /v1/admin/users/:id",
        "GET /v1/admin/audit",
      ]),
    );
    const auditBefore = await count("select count(*) as n from audit_log");
    for (const route of adminRoutes) {
      const [method = "GET", pattern = ""] = route.split(" ");
      const path = pattern.replace(/:[A-Za-z_]+/g, target.id);
      const body = method === "GET" ? undefined : { status: "disabled" };
      const anonymous = await api(method, path, { body });
      expectProblem(anonymous, 401, "unauthorized");
      const res = await api(method, path, { body, token: user.accessToken });
      expectProblem(res, 403, "forbidden");
      expect(res.text).not.toContain(target.email);
    }
    expect(await count("select count(*) as n from audit_log")).toBe(auditBefore);
    expect((await userRow(target.id)).status).toBe("active");
  });

  it("answers 401 unauthorized without a token", async () => {
    const target = await signup();
    for (const [method, path, body] of routes(target.id)) {
      const res = await api(method, path, { body });
      expectProblem(res, 401, "unauthorized");
    }
    expect((await userRow(target.id)).status).toBe("active");
  });

  it("answers 401 invalid_token for a bad token", async () => {
    const target = await signup();
    for (const [method, path, body] of routes(target.id)) {
      expectProblem(await api(method, path, { body, token: "x.y.z" }), 401, "invalid_token");
    }
  });

  it("answers 403 forbidden to a non-admin, and the PATCH changes nothing", async () => {
    const user = await signup();
    const target = await signup();
    for (const [method, path, body] of routes(target.id)) {
      const res = await api(method, path, { body, token: user.accessToken });
      expectProblem(res, 403, "forbidden");
      expect(res.text).not.toContain(target.email);
    }
    expect((await userRow(target.id)).status).toBe("active");
    expect(await auditRows(target.id)).toBe(0);
  });

  it("checks the token's role: a user promoted in D1 needs a new token", async () => {
    const user = await signup();
    await setUserRole(user.id, "admin");
    expectProblem(await listUsers(user.accessToken), 403, "forbidden");
    const relogged = await login(user.email);
    expect(relogged.body.user.role).toBe("admin");
    expect((await listUsers(relogged.body.access_token, { limit: 1 })).status).toBe(200);
  });

  it("re-checks D1: a validly signed token claiming admin for a user is refused", async () => {
    const user = await signup();
    const sid = jwtClaims(user.accessToken).sid as string;
    const forged = await signAccessToken(
      loadConfig(env),
      { sub: user.id, role: "admin", sid },
      Date.now(),
    );
    // The forged token is otherwise valid…
    expect((await api("GET", "/v1/me", { token: forged })).status).toBe(200);
    // …but D1 says this is no admin.
    for (const [method, path, body] of routes(user.id)) {
      expectProblem(await api(method, path, { body, token: forged }), 403, "forbidden");
    }
    expect(await auditRows(user.id)).toBe(0);
  });

  it("an admin works; a disabled admin's token is refused at once", async () => {
    const admin = await signupAdmin();
    expect(jwtClaims(admin.accessToken).role).toBe("admin");
    expect((await listUsers(admin.accessToken, { limit: 1 })).status).toBe(200);
    await setUserStatus(admin.id, "disabled");
    expectProblem(await listUsers(admin.accessToken), 403, "forbidden");
  });

  it("does not serve admin paths that do not exist, even to admins, and hides them from others", async () => {
    const admin = await signupAdmin();
    const user = await signup();
    expectProblem(
      await api("GET", "/v1/admin/nothing", { token: admin.accessToken }),
      404,
      "not_found",
    );
    expectProblem(
      await api("GET", "/v1/admin/nothing", { token: user.accessToken }),
      403,
      "forbidden",
    );
    expectProblem(await api("GET", "/v1/admin/nothing"), 401, "unauthorized");
  });
});
