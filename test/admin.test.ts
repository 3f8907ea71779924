import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import { signAccessToken } from "../src/auth/tokens";
import { loadConfig } from "../src/env";
import { pushPolicyBeforeCommit } from "../src/ratelimit/client";
import {
  type ApiResponse,
  api,
  count,
  login,
  PASSWORD,
  signup,
  signupAdmin,
  type TestUser,
} from "./helpers";

// ---------------------------------------------------------------------------------------------
// Local helpers
// ---------------------------------------------------------------------------------------------

interface Problem {
  code: string;
  status: number;
  errors?: { path: string; message: string }[];
}

interface AdminUser {
  id: string;
  email: string;
  name: string | null;
  role: "user" | "admin";
  status: "active" | "disabled" | "deleted";
  email_verified: boolean;
  created_at: string;
  updated_at: string;
  locale: string | null;
  timezone: string | null;
}

interface UserList {
  data: AdminUser[];
  next_cursor: string | null;
}

interface AuditEntry {
  id: string;
  actor_id: string;
  action: string;
  target_type: string;
  target_id: string;
  data: { before?: Record<string, unknown>; after?: Record<string, unknown> };
  created_at: string;
}

interface AuditList {
  data: AuditEntry[];
  next_cursor: string | null;
}

function expectProblem(res: ApiResponse<unknown>, status: number, code: string): Problem {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get("content-type") ?? "").toMatch(/^application\/problem\+json/);
  const body = res.body as Problem;
  expect(body.code).toBe(code);
  expect(body.status).toBe(status);
  return body;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;

/** A short marker that makes a group of emails findable by substring. */
function marker(prefix = "m"): string {
  return `${prefix}${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
}

async function signupWithEmail(email: string): Promise<TestUser> {
  const res = await api<{ user: { id: string }; access_token: string; refresh_token: string }>(
    "POST",
    "/v1/auth/signup",
    { body: { email, password: PASSWORD } },
  );
  if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${res.text}`);
  return {
    id: res.body.user.id,
    email,
    password: PASSWORD,
    accessToken: res.body.access_token,
    refreshToken: res.body.refresh_token,
  };
}

function listUsers(token: string, query: Record<string, string | number> = {}) {
  const qs = new URLSearchParams(
    Object.entries(query).map(([k, v]) => [k, String(v)] as [string, string]),
  ).toString();
  return api<UserList>("GET", `/v1/admin/users${qs ? `?${qs}` : ""}`, { token });
}

function listAudit(token: string, query: Record<string, string | number> = {}) {
  const qs = new URLSearchParams(
    Object.entries(query).map(([k, v]) => [k, String(v)] as [string, string]),
  ).toString();
  return api<AuditList>("GET", `/v1/admin/audit${qs ? `?${qs}` : ""}`, { token });
}

/** Follows next_cursor to the end; fails on a page that breaks the limit or loops. */
async function walk<T extends { id: string }>(
  fetchPage: (cursor?: string) => Promise<ApiResponse<{ data: T[]; next_cursor: string | null }>>,
  limit: number,
): Promise<{ items: T[]; pages: number[] }> {
  const items: T[] = [];
  const pages: number[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 50; i++) {
    const res = await fetchPage(cursor);
    expect(res.status, res.text).toBe(200);
    expect(res.body.data.length).toBeLessThanOrEqual(limit);
    items.push(...res.body.data);
    pages.push(res.body.data.length);
    if (res.body.next_cursor === null) return { items, pages };
    expect(res.body.next_cursor).not.toBe(cursor);
    cursor = res.body.next_cursor;
  }
  throw new Error("pagination did not end");
}

function patchUser(token: string, id: string, body: unknown) {
  return api<AdminUser>("PATCH", `/v1/admin/users/${id}`, { token, body });
}

function refresh(refreshToken: string) {
  return api("POST", "/v1/auth/refresh", { body: { refresh_token: refreshToken } });
}

function jwtClaims(token: string): Record<string, unknown> {
  const payload = token.split(".")[1] ?? "";
  return JSON.parse(atob(payload.replaceAll("-", "+").replaceAll("_", "/")));
}

async function userRow(id: string) {
  const row = await env.DB.prepare("select * from users where id = ?").bind(id).first<{
    role: string;
    status: string;
    updated_at: number;
    email: string;
  }>();
  if (!row) throw new Error(`no users row ${id}`);
  return row;
}

async function setCreatedAt(table: "users" | "audit_log", id: string, createdAt: number) {
  await env.DB.prepare(`update ${table} set created_at = ? where id = ?`).bind(createdAt, id).run();
}

const auditRows = (targetId: string) =>
  count("select count(*) as n from audit_log where target_id = ?", targetId);

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
    await env.DB.prepare("update users set role = 'admin' where id = ?").bind(user.id).run();
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
    await env.DB.prepare("update users set status = 'disabled' where id = ?").bind(admin.id).run();
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

// ---------------------------------------------------------------------------------------------
// GET /v1/admin/users
// ---------------------------------------------------------------------------------------------

describe("GET /v1/admin/users", () => {
  it("lists users with their admin fields and no secrets", async () => {
    const admin = await signupAdmin();
    const m = marker();
    const user = await signup(m);
    await api("PATCH", "/v1/me", {
      token: user.accessToken,
      body: { name: "Listed", locale: "en-GB", timezone: "Europe/Paris" },
    });
    const res = await listUsers(admin.accessToken, { email: m });
    expect(res.status, res.text).toBe(200);
    expect(res.body.next_cursor).toBeNull();
    expect(res.body.data).toHaveLength(1);
    const item = res.body.data[0];
    expect(Object.keys(item ?? {}).sort()).toEqual(
      [
        "created_at",
        "email",
        "email_verified",
        "id",
        "locale",
        "name",
        "role",
        "status",
        "timezone",
        "updated_at",
      ].sort(),
    );
    expect(item).toMatchObject({
      id: user.id,
      email: user.email,
      name: "Listed",
      role: "user",
      status: "active",
      email_verified: false,
      locale: "en-GB",
      timezone: "Europe/Paris",
    });
    expect(item?.created_at).toMatch(ISO);
    expect(item?.updated_at).toMatch(ISO);
    expect(res.text).not.toContain("pbkdf2");
    expect(res.text).not.toContain("password");
    expect(res.text).not.toContain("settings");
  });

  it("lists newest first", async () => {
    const admin = await signupAdmin();
    const m = marker();
    const created: TestUser[] = [];
    for (let i = 0; i < 3; i++) created.push(await signup(m));
    // Pin creation times so the expected order does not depend on the clock's resolution.
    const base = Date.now() - 60_000;
    for (const [i, u] of created.entries()) await setCreatedAt("users", u.id, base + i * 1000);
    const res = await listUsers(admin.accessToken, { email: m });
    expect(res.status).toBe(200);
    expect(res.body.data.map((u) => u.id)).toEqual(created.map((u) => u.id).reverse());
    expect(res.body.data.map((u) => u.created_at)).toEqual(
      [2, 1, 0].map((i) => new Date(base + i * 1000).toISOString()),
    );
  });

  it("walks every page with a cursor, without duplicates or gaps", async () => {
    const admin = await signupAdmin();
    const m = marker();
    const created: TestUser[] = [];
    for (let i = 0; i < 5; i++) created.push(await signup(m));
    const base = Date.now() - 120_000;
    for (const [i, u] of created.entries()) await setCreatedAt("users", u.id, base + i * 1000);

    const { items, pages } = await walk<AdminUser>(
      (cursor) =>
        listUsers(admin.accessToken, { limit: 2, email: m, ...(cursor ? { cursor } : {}) }),
      2,
    );
    expect(pages).toEqual([2, 2, 1]);
    const ids = items.map((u) => u.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(created.map((u) => u.id).reverse());
  });

  it("pages correctly when users share a creation time", async () => {
    const admin = await signupAdmin();
    const m = marker();
    const created: TestUser[] = [];
    for (let i = 0; i < 5; i++) created.push(await signup(m));
    const same = Date.now() - 180_000;
    for (const u of created) await setCreatedAt("users", u.id, same);

    const { items, pages } = await walk<AdminUser>(
      (cursor) =>
        listUsers(admin.accessToken, { limit: 2, email: m, ...(cursor ? { cursor } : {}) }),
      2,
    );
    expect(pages).toEqual([2, 2, 1]);
    const ids = items.map((u) => u.id);
    expect(new Set(ids).size).toBe(5);
    expect([...ids].sort()).toEqual(created.map((u) => u.id).sort());
    // Ties are broken by id, descending.
    expect(ids).toEqual([...ids].sort().reverse());
  });

  it("ends with next_cursor null when the last page is exactly full", async () => {
    const admin = await signupAdmin();
    const m = marker();
    for (let i = 0; i < 4; i++) await signup(m);
    const first = await listUsers(admin.accessToken, { limit: 2, email: m });
    expect(first.body.data).toHaveLength(2);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await listUsers(admin.accessToken, {
      limit: 2,
      email: m,
      cursor: first.body.next_cursor ?? "",
    });
    expect(second.status, second.text).toBe(200);
    expect(second.body.data).toHaveLength(2);
    expect(second.body.next_cursor).toBeNull();
  });

  it("also walks the unfiltered list consistently", async () => {
    const admin = await signupAdmin();
    for (let i = 0; i < 3; i++) await signup("walk");
    const total = await count("select count(*) as n from users");
    const { items } = await walk<AdminUser>(
      (cursor) => listUsers(admin.accessToken, { limit: 10, ...(cursor ? { cursor } : {}) }),
      10,
    );
    const ids = items.map((u) => u.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(total);
    const { results } = await env.DB.prepare(
      "select id from users order by created_at desc, id desc",
    ).all<{ id: string }>();
    expect(ids).toEqual(results.map((r) => r.id));
  });

  it("searches email by case-insensitive substring", async () => {
    const admin = await signupAdmin();
    const m = marker();
    const a = await signup(m);
    const b = await signup(m);
    await signup(marker());

    for (const q of [m, m.toUpperCase(), `${m.slice(2, 8)}`, `  ${m}  `]) {
      const res = await listUsers(admin.accessToken, { email: q });
      expect(res.status, res.text).toBe(200);
      expect(res.body.data.map((u) => u.id).sort(), q).toEqual([a.id, b.id].sort());
    }
    // A substring across the local part and the domain.
    const tail = a.email.slice(m.length, a.email.length - 4).toUpperCase();
    const one = await listUsers(admin.accessToken, { email: tail });
    expect(one.body.data.map((u) => u.id)).toEqual([a.id]);

    const none = await listUsers(admin.accessToken, { email: `${m}-nobody` });
    expect(none.status).toBe(200);
    expect(none.body).toEqual({ data: [], next_cursor: null });
  });

  it("treats _ in the search as a literal character", async () => {
    const admin = await signupAdmin();
    const m = marker();
    const underscore = await signupWithEmail(`${m}_x@example.test`);
    await signupWithEmail(`${m}yx@example.test`);
    const res = await listUsers(admin.accessToken, { email: `${m}_x` });
    expect(res.status, res.text).toBe(200);
    expect(res.body.data.map((u) => u.id)).toEqual([underscore.id]);
  });

  it("treats % in the search as a literal character", async () => {
    const admin = await signupAdmin();
    const m = marker();
    await signupWithEmail(`${m}ab@example.test`);
    const percent = await signupWithEmail(`${m}pc@example.test`);
    // Signup does not allow % in an email; a migrated row can have one.
    await env.DB.prepare("update users set email = ? where id = ?")
      .bind(`${m}%b@example.test`, percent.id)
      .run();

    const literal = await listUsers(admin.accessToken, { email: `${m}%b` });
    expect(literal.status, literal.text).toBe(200);
    expect(literal.body.data.map((u) => u.id)).toEqual([percent.id]);

    // As a wildcard, "<m>%" would match every user of the marker (and "%" everyone).
    const wild = await listUsers(admin.accessToken, { email: `${m}%` });
    expect(wild.body.data.map((u) => u.id)).toEqual([percent.id]);
    const onlyPercent = await listUsers(admin.accessToken, { email: "%", limit: 100 });
    expect(onlyPercent.status).toBe(200);
    for (const u of onlyPercent.body.data) expect(u.email).toContain("%");
  });

  it("treats a backslash in the search as a literal character", async () => {
    const admin = await signupAdmin();
    const m = marker();
    const slashed = await signupWithEmail(`${m}sl@example.test`);
    await env.DB.prepare("update users set email = ? where id = ?")
      .bind(`${m}\\_z@example.test`, slashed.id)
      .run();
    await signupWithEmail(`${m}_z@example.test`);
    const res = await listUsers(admin.accessToken, { email: `${m}\\_z` });
    expect(res.status, res.text).toBe(200);
    expect(res.body.data.map((u) => u.id)).toEqual([slashed.id]);
  });

  it("rejects an invalid cursor with 400", async () => {
    const admin = await signupAdmin();
    const utf8 = (s: string) =>
      btoa(s).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
    for (const cursor of [
      "not-a-cursor!!",
      "%%%",
      utf8("hello"),
      utf8("abc.usr_x"),
      utf8("123.not an id"),
      utf8(".usr_abc"),
      "x".repeat(201),
    ]) {
      expectProblem(await listUsers(admin.accessToken, { cursor }), 400, "invalid_request");
    }
  });

  it("accepts limits 1..100 and rejects 0, 101 and non-numbers with 400", async () => {
    const admin = await signupAdmin();
    for (const limit of ["0", "101", "-1", "abc", "1.5", ""]) {
      const problem = expectProblem(
        await listUsers(admin.accessToken, { limit }),
        400,
        "invalid_request",
      );
      expect(problem.errors?.map((e) => e.path)).toContain("limit");
    }
    const one = await listUsers(admin.accessToken, { limit: 1 });
    expect(one.status).toBe(200);
    expect(one.body.data).toHaveLength(1);
    expect(one.body.next_cursor).toEqual(expect.any(String));
    const hundred = await listUsers(admin.accessToken, { limit: 100 });
    expect(hundred.status).toBe(200);
    expect(hundred.body.data.length).toBeLessThanOrEqual(100);
    const byDefault = await listUsers(admin.accessToken);
    expect(byDefault.status).toBe(200);
    expect(byDefault.body.data.length).toBe(
      Math.min(25, await count("select count(*) as n from users")),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// GET /v1/admin/users/:id
// ---------------------------------------------------------------------------------------------

describe("GET /v1/admin/users/:id", () => {
  it("returns the user", async () => {
    const admin = await signupAdmin();
    const user = await signup();
    const res = await api<AdminUser>("GET", `/v1/admin/users/${user.id}`, {
      token: admin.accessToken,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      id: user.id,
      email: user.email,
      role: "user",
      status: "active",
      name: null,
    });
    expect(res.body.updated_at).toMatch(ISO);
    expect(res.text).not.toContain("pbkdf2");
  });

  it("answers 404 not_found for an unknown id", async () => {
    const admin = await signupAdmin();
    expectProblem(
      await api("GET", "/v1/admin/users/usr_zzz", { token: admin.accessToken }),
      404,
      "not_found",
    );
  });

  it("answers 400 for a malformed id", async () => {
    const admin = await signupAdmin();
    for (const id of ["abc", "USR_ABC", "usr_", "ses_abc", "usr_abc-def", "usr_ABC"]) {
      expectProblem(
        await api("GET", `/v1/admin/users/${id}`, { token: admin.accessToken }),
        400,
        "invalid_request",
      );
    }
  });
});

// ---------------------------------------------------------------------------------------------
// PATCH /v1/admin/users/:id
// ---------------------------------------------------------------------------------------------

describe("PATCH /v1/admin/users/:id", () => {
  it("disables a user: sessions die at once, refresh fails, login says account_disabled", async () => {
    const admin = await signupAdmin();
    const user = await signup();
    const other = await login(user.email);
    expect(other.status).toBe(200);

    const res = await patchUser(admin.accessToken, user.id, { status: "disabled" });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ id: user.id, status: "disabled", role: "user" });
    expect((await userRow(user.id)).status).toBe("disabled");

    expectProblem(await refresh(user.refreshToken), 401, "invalid_refresh_token");
    expectProblem(await refresh(other.body.refresh_token), 401, "invalid_refresh_token");
    expectProblem(await login(user.email), 403, "account_disabled");
    // A wrong password still says only "invalid credentials".
    expectProblem(await login(user.email, "wrong password"), 401, "invalid_credentials");
    // The access token has not expired, but its session died with the account: refused at once.
    expectProblem(await api("GET", "/v1/me", { token: user.accessToken }), 401, "invalid_token");
    expectProblem(
      await api("PATCH", "/v1/me", { token: user.accessToken, body: { name: "x" } }),
      401,
      "invalid_token",
    );
    expectProblem(
      await api("GET", "/v1/me/export", { token: user.accessToken }),
      401,
      "invalid_token",
    );

    const live = await count(
      "select count(*) as n from sessions where user_id = ? and revoked_at is null",
      user.id,
    );
    expect(live).toBe(0);
    expect(
      await count(
        "select count(*) as n from sessions where user_id = ? and revoked_reason = 'account_disabled'",
        user.id,
      ),
    ).toBe(2);
  });

  it("re-enabling lets the user log in again", async () => {
    const admin = await signupAdmin();
    const user = await signup();
    await patchUser(admin.accessToken, user.id, { status: "disabled" });
    const res = await patchUser(admin.accessToken, user.id, { status: "active" });
    expect(res.status, res.text).toBe(200);
    expect(res.body.status).toBe("active");
    const relogged = await login(user.email);
    expect(relogged.status, relogged.text).toBe(200);
    expect((await api("GET", "/v1/me", { token: relogged.body.access_token })).status).toBe(200);
    expect((await refresh(relogged.body.refresh_token)).status).toBe(200);
  });

  it("forbids an admin from changing themselves", async () => {
    const admin = await signupAdmin();
    for (const body of [{ role: "user" }, { status: "disabled" }, { role: "admin" }]) {
      expectProblem(await patchUser(admin.accessToken, admin.id, body), 403, "forbidden");
    }
    const row = await userRow(admin.id);
    expect(row.role).toBe("admin");
    expect(row.status).toBe("active");
    expect(await auditRows(admin.id)).toBe(0);
    expect((await listUsers(admin.accessToken, { limit: 1 })).status).toBe(200);
  });

  it("demoting an admin ends their admin access at once, though their JWT says admin", async () => {
    const a = await signupAdmin();
    const b = await signupAdmin();
    expect((await listUsers(b.accessToken, { limit: 1 })).status).toBe(200);

    const res = await patchUser(a.accessToken, b.id, { role: "user" });
    expect(res.status, res.text).toBe(200);
    expect(res.body.role).toBe("user");

    expect(jwtClaims(b.accessToken).role).toBe("admin");
    expectProblem(await listUsers(b.accessToken), 403, "forbidden");
    expectProblem(await patchUser(b.accessToken, a.id, { role: "user" }), 403, "forbidden");
    expectProblem(await listAudit(b.accessToken), 403, "forbidden");
    expect((await userRow(a.id)).role).toBe("admin");
    // Still a working user account.
    expect((await api("GET", "/v1/me", { token: b.accessToken })).status).toBe(200);
  });

  it("promoting a user takes effect with their next token", async () => {
    const admin = await signupAdmin();
    const user = await signup();
    const res = await patchUser(admin.accessToken, user.id, { role: "admin" });
    expect(res.status, res.text).toBe(200);
    expect(res.body.role).toBe("admin");
    expect((await userRow(user.id)).role).toBe("admin");
    expectProblem(await listUsers(user.accessToken), 403, "forbidden");
    const relogged = await login(user.email);
    expect((await listUsers(relogged.body.access_token, { limit: 1 })).status).toBe(200);
  });

  it("one admin can disable another, who then loses admin access", async () => {
    const a = await signupAdmin();
    const b = await signupAdmin();
    expect((await patchUser(a.accessToken, b.id, { status: "disabled" })).status).toBe(200);
    // B's admin token has not expired, but its session ended with the account.
    expectProblem(await listUsers(b.accessToken), 401, "invalid_token");
    expectProblem(await api("GET", "/v1/me", { token: b.accessToken }), 401, "invalid_token");
    expectProblem(await login(b.email), 403, "account_disabled");
  });

  it("updates role and status together and bumps updated_at", async () => {
    const admin = await signupAdmin();
    const user = await signup();
    const before = await userRow(user.id);
    await env.DB.prepare("update users set updated_at = ? where id = ?")
      .bind(before.updated_at - 10_000, user.id)
      .run();
    const res = await patchUser(admin.accessToken, user.id, { role: "admin", status: "disabled" });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ role: "admin", status: "disabled" });
    const row = await userRow(user.id);
    expect(row).toMatchObject({ role: "admin", status: "disabled" });
    expect(row.updated_at).toBeGreaterThan(before.updated_at - 10_000);
    expect(res.body.updated_at).toBe(new Date(row.updated_at).toISOString());
  });

  it("rejects invalid bodies with 400 and writes nothing", async () => {
    const admin = await signupAdmin();
    const user = await signup();
    for (const body of [
      {},
      { status: "deleted" },
      { status: "banned" },
      { role: "owner" },
      { role: null },
      { role: "admin", email: "x@example.test" },
      { name: "x" },
    ]) {
      expectProblem(await patchUser(admin.accessToken, user.id, body), 400, "invalid_request");
    }
    expect(await userRow(user.id)).toMatchObject({ role: "user", status: "active" });
    expect(await auditRows(user.id)).toBe(0);
  });

  it("refuses to change a deleted account, which stays deleted and anonymized", async () => {
    const admin = await signupAdmin();
    const user = await signup();
    const deleted = await api("DELETE", "/v1/me", {
      token: user.accessToken,
      body: { password: PASSWORD },
    });
    expect(deleted.status, deleted.text).toBe(204);

    const shown = await api<AdminUser>("GET", `/v1/admin/users/${user.id}`, {
      token: admin.accessToken,
    });
    expect(shown.status).toBe(200);
    expect(shown.body.status).toBe("deleted");
    expect(shown.body.email).not.toBe(user.email);
    expect(shown.body.name).toBeNull();
    const search = await listUsers(admin.accessToken, { email: user.email });
    expect(search.body.data).toEqual([]);

    for (const body of [{ status: "active" }, { role: "admin" }]) {
      expectProblem(await patchUser(admin.accessToken, user.id, body), 403, "forbidden");
    }
    expect(await userRow(user.id)).toMatchObject({ status: "deleted", role: "user" });
    expect(await auditRows(user.id)).toBe(0);
    expectProblem(await login(user.email), 401, "invalid_credentials");
  });

  it("disabling also kills refresh tokens issued by rotation, and blocks self-service", async () => {
    const admin = await signupAdmin();
    const user = await signup();
    const rotated = await api<{ refresh_token: string; access_token: string }>(
      "POST",
      "/v1/auth/refresh",
      { body: { refresh_token: user.refreshToken } },
    );
    expect(rotated.status).toBe(200);
    expect((await patchUser(admin.accessToken, user.id, { status: "disabled" })).status).toBe(200);
    expectProblem(await refresh(rotated.body.refresh_token), 401, "invalid_refresh_token");

    const token = rotated.body.access_token;
    expectProblem(
      await api("POST", "/v1/me/password", {
        token,
        body: { current_password: PASSWORD, new_password: "another passphrase" },
      }),
      401,
      "invalid_token",
    );
    expectProblem(
      await api("PUT", "/v1/me/settings", { token, body: { theme: "dark" } }),
      401,
      "invalid_token",
    );
    expectProblem(
      await api("DELETE", "/v1/me", { token, body: { password: PASSWORD } }),
      401,
      "invalid_token",
    );
    expect((await userRow(user.id)).status).toBe("disabled");
    // Re-enabled, the old password still works: the refused change did not happen.
    await patchUser(admin.accessToken, user.id, { status: "active" });
    expect((await login(user.email)).status).toBe(200);
  });

  it("answers 405 with Allow for a method the route does not have", async () => {
    const admin = await signupAdmin();
    const user = await signup();
    const res = await api("DELETE", `/v1/admin/users/${user.id}`, { token: admin.accessToken });
    expectProblem(res, 405, "method_not_allowed");
    expect((res.headers.get("allow") ?? "").split(/,\s*/).sort()).toEqual(["GET", "PATCH"]);
    expect((await userRow(user.id)).status).toBe("active");
  });

  it("answers 404 for an unknown user and 400 for a malformed id", async () => {
    const admin = await signupAdmin();
    expectProblem(
      await patchUser(admin.accessToken, "usr_zzz", { status: "disabled" }),
      404,
      "not_found",
    );
    expectProblem(
      await patchUser(admin.accessToken, "not-an-id", { status: "disabled" }),
      400,
      "invalid_request",
    );
    expect(await auditRows("usr_zzz")).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// GET /v1/admin/audit
// ---------------------------------------------------------------------------------------------

describe("GET /v1/admin/audit", () => {
  it("records every PATCH as user.update with actor, target and before/after", async () => {
    const admin = await signupAdmin();
    const user = await signup();
    const res = await patchUser(admin.accessToken, user.id, { status: "disabled" });
    expect(res.status).toBe(200);

    const audit = await listAudit(admin.accessToken, { target_id: user.id });
    expect(audit.status, audit.text).toBe(200);
    expect(audit.body.next_cursor).toBeNull();
    expect(audit.body.data).toHaveLength(1);
    const entry = audit.body.data[0];
    expect(entry).toMatchObject({
      action: "user.update",
      actor_id: admin.id,
      target_type: "user",
      target_id: user.id,
      data: { before: { role: "user", status: "active" }, after: { status: "disabled" } },
    });
    expect(entry?.created_at).toMatch(ISO);
    expect(entry?.id).toMatch(/^aud_/);

    const row = await env.DB.prepare("select * from audit_log where id = ?")
      .bind(entry?.id)
      .first<{ actor_id: string; target_id: string; action: string; data: string }>();
    expect(row).toMatchObject({ actor_id: admin.id, target_id: user.id, action: "user.update" });
    expect(JSON.parse(row?.data ?? "{}")).toEqual(entry?.data);

    // A role change too, and even a change to the same value.
    await patchUser(admin.accessToken, user.id, { role: "admin" });
    await patchUser(admin.accessToken, user.id, { role: "admin" });
    expect(await auditRows(user.id)).toBe(3);
  });

  it("filters by actor_id, target_id and action", async () => {
    const a = await signupAdmin();
    const b = await signupAdmin();
    const u1 = await signup();
    const u2 = await signup();
    await patchUser(a.accessToken, u1.id, { status: "disabled" });
    await patchUser(a.accessToken, u2.id, { role: "admin" });
    await patchUser(b.accessToken, u1.id, { status: "active" });

    const byA = await listAudit(a.accessToken, { actor_id: a.id, limit: 100 });
    expect(byA.status).toBe(200);
    expect(byA.body.data.every((e) => e.actor_id === a.id)).toBe(true);
    expect(byA.body.data.map((e) => e.target_id).sort()).toEqual([u1.id, u2.id].sort());

    const onU1 = await listAudit(a.accessToken, { target_id: u1.id });
    expect(onU1.body.data.map((e) => e.actor_id).sort()).toEqual([a.id, b.id].sort());

    const both = await listAudit(a.accessToken, { actor_id: b.id, target_id: u1.id });
    expect(both.body.data).toHaveLength(1);
    expect(both.body.data[0]?.data.after).toEqual({ status: "active" });

    const byAction = await listAudit(a.accessToken, {
      action: "user.update",
      target_id: u2.id,
    });
    expect(byAction.body.data).toHaveLength(1);
    const otherAction = await listAudit(a.accessToken, { action: "user.delete", target_id: u1.id });
    expect(otherAction.status).toBe(200);
    expect(otherAction.body).toEqual({ data: [], next_cursor: null });
  });

  it("pages newest first with a cursor, without duplicates", async () => {
    const admin = await signupAdmin();
    const user = await signup();
    const bodies = [{ role: "admin" }, { status: "disabled" }, { role: "user" }];
    for (const body of bodies) {
      expect((await patchUser(admin.accessToken, user.id, body)).status).toBe(200);
    }
    const { results } = await env.DB.prepare(
      "select id, data from audit_log where target_id = ? order by created_at, rowid",
    )
      .bind(user.id)
      .all<{ id: string; data: string }>();
    expect(results).toHaveLength(3);
    const base = Date.now() - 60_000;
    for (const [i, r] of results.entries()) await setCreatedAt("audit_log", r.id, base + i * 1000);

    const { items, pages } = await walk<AuditEntry>(
      (cursor) =>
        listAudit(admin.accessToken, {
          target_id: user.id,
          limit: 1,
          ...(cursor ? { cursor } : {}),
        }),
      1,
    );
    expect(pages).toEqual([1, 1, 1]);
    expect(items.map((e) => e.id)).toEqual(results.map((r) => r.id).reverse());
    expect(items.map((e) => e.data.after)).toEqual([...bodies].reverse());
    expect(items.map((e) => e.data.before)).toEqual([
      { role: "admin", status: "disabled" },
      { role: "admin", status: "active" },
      { role: "user", status: "active" },
    ]);
  });

  it("rejects an invalid cursor or limit with 400", async () => {
    const admin = await signupAdmin();
    expectProblem(
      await listAudit(admin.accessToken, { cursor: "garbage!!" }),
      400,
      "invalid_request",
    );
    expectProblem(await listAudit(admin.accessToken, { limit: 0 }), 400, "invalid_request");
    expectProblem(await listAudit(admin.accessToken, { limit: 101 }), 400, "invalid_request");
  });

  it("writes no audit row for refused changes", async () => {
    const admin = await signupAdmin();
    const user = await signup();
    const before = await count("select count(*) as n from audit_log");
    await patchUser(admin.accessToken, admin.id, { role: "user" });
    await patchUser(admin.accessToken, "usr_zzz", { role: "user" });
    await patchUser(admin.accessToken, user.id, {});
    await patchUser(user.accessToken, user.id, { role: "admin" });
    expect(await count("select count(*) as n from audit_log")).toBe(before);
  });
});
