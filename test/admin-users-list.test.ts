// Listing and finding users as an admin: newest first, keyset pages without gaps or repeats,
// email search with LIKE's wildcards taken literally, and one user by id.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type AdminUser, ISO, listUsers, marker, setCreatedAt, walk } from "./admin-helpers";
import {
  api,
  count,
  expectProblem,
  signup,
  signupAdmin,
  signupWithEmail,
  type TestUser,
} from "./helpers";

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
      body: { name: "Listed", locale: "es", timezone: "Europe/Paris" },
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
      locale: "es",
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
