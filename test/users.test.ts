import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import { signAccessToken } from "../src/auth/tokens";
import { loadConfig } from "../src/env";
import { insertPayment } from "./fixtures";
import {
  type ApiResponse,
  api,
  count,
  login,
  mailedToken,
  PASSWORD,
  signup,
  signupAdmin,
  type TestUser,
  uniqueEmail,
} from "./helpers";

// ---------------------------------------------------------------------------------------------
// Local helpers
// ---------------------------------------------------------------------------------------------

type Json = Record<string, unknown>;

interface Problem {
  code: string;
  status: number;
  title: string;
  errors?: { path: string; message: string }[];
}

/** Asserts an RFC 9457 problem answer with that status and machine code. */
function expectProblem(res: ApiResponse<unknown>, status: number, code: string): Problem {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get("content-type") ?? "").toMatch(/^application\/problem\+json/);
  const body = res.body as Problem;
  expect(body.code).toBe(code);
  expect(body.status).toBe(status);
  return body;
}

function errorPaths(problem: Problem): string[] {
  return (problem.errors ?? []).map((e) => e.path);
}

interface UserRow {
  id: string;
  email: string;
  name: string | null;
  role: string;
  status: string;
  password_hash: string;
  locale: string | null;
  timezone: string | null;
  settings: string;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
}

async function userRow(id: string): Promise<UserRow> {
  const row = await env.DB.prepare("select * from users where id = ?").bind(id).first<UserRow>();
  if (!row) throw new Error(`no users row ${id}`);
  return row;
}

async function sessionIdsOf(userId: string): Promise<string[]> {
  const { results } = await env.DB.prepare("select id from sessions where user_id = ?")
    .bind(userId)
    .all<{ id: string }>();
  return results.map((r) => r.id);
}

function refresh(refreshToken: string) {
  return api<{ access_token: string; refresh_token: string }>("POST", "/v1/auth/refresh", {
    body: { refresh_token: refreshToken },
  });
}

const getMe = (token: string) => api<Json>("GET", "/v1/me", { token });
const patchMe = (token: string, body: unknown) => api<Json>("PATCH", "/v1/me", { token, body });
const getSettings = (token: string) => api<Json>("GET", "/v1/me/settings", { token });
const putSettings = (token: string, body: unknown) =>
  api<Json>("PUT", "/v1/me/settings", { token, body });

const DEFAULT_SETTINGS = {
  theme: "system",
  items_per_page: 25,
  auto_refresh_seconds: 0,
  email_notifications: true,
  analytics_sharing: false,
};

const CUSTOM_SETTINGS = {
  theme: "dark",
  items_per_page: 50,
  auto_refresh_seconds: 60,
  email_notifications: false,
  analytics_sharing: true,
};

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;

/** A genuine access token (signed with the configured key) with chosen claims and clock. */
function forgeAccessToken(
  claims: { sub: string; role: "user" | "admin"; sid: string },
  nowMs = Date.now(),
) {
  return signAccessToken(loadConfig(env), claims, nowMs);
}

// ---------------------------------------------------------------------------------------------
// GET /v1/me
// ---------------------------------------------------------------------------------------------

describe("GET /v1/me", () => {
  it("returns the caller's profile with the free plan", async () => {
    const user = await signup();
    const res = await getMe(user.accessToken);
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get("content-type") ?? "").toMatch(/^application\/json/);

    const plan = await env.DB.prepare("select * from plans where code = 'free'").first<{
      id: string;
      name: string;
      limit_minute: number;
      limit_hour: number;
      limit_day: number;
      limit_month: number;
    }>();
    expect(plan).not.toBeNull();

    expect(Object.keys(res.body).sort()).toEqual(
      [
        "created_at",
        "email",
        "email_verified",
        "id",
        "locale",
        "name",
        "plan",
        "role",
        "subscription",
        "timezone",
      ].sort(),
    );
    expect(res.body).toMatchObject({
      id: user.id,
      email: user.email,
      name: null,
      role: "user",
      email_verified: false,
      locale: null,
      timezone: null,
      subscription: null,
      plan: {
        id: plan?.id,
        code: "free",
        name: plan?.name,
        limits: {
          minute: plan?.limit_minute,
          hour: plan?.limit_hour,
          day: plan?.limit_day,
          month: plan?.limit_month,
        },
      },
    });
    expect(res.body.created_at).toMatch(ISO);
    const row = await userRow(user.id);
    expect(res.body.created_at).toBe(new Date(row.created_at).toISOString());
    expect(res.text).not.toContain("pbkdf2");
    expect(res.text).not.toContain("password");
  });

  it("shows the name given at signup and a verified email once verified", async () => {
    const email = uniqueEmail("named");
    const signed = await api<{ access_token: string }>("POST", "/v1/auth/signup", {
      body: { email, password: PASSWORD, name: "Ada Lovelace" },
    });
    expect(signed.status).toBe(201);
    const token = await mailedToken(email, "verify_email");
    const verified = await api("POST", "/v1/auth/email/verify", { body: { token } });
    expect(verified.status, verified.text).toBe(204);
    const res = await getMe(signed.body.access_token);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ email, name: "Ada Lovelace", email_verified: true });
  });

  it("answers 401 unauthorized without a token, as problem+json", async () => {
    const res = await api("GET", "/v1/me");
    expectProblem(res, 401, "unauthorized");
    expect(res.headers.get("www-authenticate") ?? "").toMatch(/^Bearer/);
  });

  it("answers 401 invalid_token for garbage, tampered, foreign-key and expired tokens", async () => {
    const user = await signup();
    expectProblem(await getMe("not-a-jwt"), 401, "invalid_token");

    // Tampered payload: the signature no longer matches.
    const [header, payload, signature] = user.accessToken.split(".");
    const claims = JSON.parse(atob((payload ?? "").replaceAll("-", "+").replaceAll("_", "/")));
    const tamperedPayload = btoa(JSON.stringify({ ...claims, role: "admin" }))
      .replaceAll("+", "-")
      .replaceAll("/", "_")
      .replace(/=+$/, "");
    expectProblem(await getMe(`${header}.${tamperedPayload}.${signature}`), 401, "invalid_token");

    // Unsigned token (alg "none").
    const none = `${btoa(JSON.stringify({ alg: "none", typ: "JWT" })).replace(/=+$/, "")}.${payload}.`;
    expectProblem(await getMe(none), 401, "invalid_token");

    // Expired: signed correctly, but two hours ago.
    const expired = await forgeAccessToken(
      { sub: user.id, role: "user", sid: claims.sid },
      Date.now() - 2 * 60 * 60 * 1000,
    );
    expectProblem(await getMe(expired), 401, "invalid_token");
  });
});

// ---------------------------------------------------------------------------------------------
// PATCH /v1/me
// ---------------------------------------------------------------------------------------------

describe("PATCH /v1/me", () => {
  it("updates name, locale and time zone and returns the full profile", async () => {
    const user = await signup();
    const before = await userRow(user.id);
    const res = await patchMe(user.accessToken, {
      name: "Grace Hopper",
      locale: "en-GB",
      timezone: "Europe/Paris",
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      id: user.id,
      email: user.email,
      name: "Grace Hopper",
      locale: "en-GB",
      timezone: "Europe/Paris",
      role: "user",
      plan: { code: "free" },
    });

    const again = await getMe(user.accessToken);
    expect(again.body).toMatchObject({
      name: "Grace Hopper",
      locale: "en-GB",
      timezone: "Europe/Paris",
    });
    const row = await userRow(user.id);
    expect(row).toMatchObject({ name: "Grace Hopper", locale: "en-GB", timezone: "Europe/Paris" });
    expect(row.updated_at).toBeGreaterThanOrEqual(before.updated_at);
    expect(row.role).toBe("user");
    expect(row.email).toBe(user.email);
  });

  it("changes only the fields sent", async () => {
    const user = await signup();
    await patchMe(user.accessToken, { name: "First", locale: "fr-FR", timezone: "Asia/Tokyo" });
    const res = await patchMe(user.accessToken, { timezone: "America/New_York" });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      name: "First",
      locale: "fr-FR",
      timezone: "America/New_York",
    });
  });

  it("clears fields sent as null", async () => {
    const user = await signup();
    await patchMe(user.accessToken, { name: "Someone", locale: "de", timezone: "UTC" });
    const res = await patchMe(user.accessToken, { name: null, locale: null, timezone: null });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ name: null, locale: null, timezone: null });
    const row = await userRow(user.id);
    expect(row).toMatchObject({ name: null, locale: null, timezone: null });
  });

  it("trims the name", async () => {
    const user = await signup();
    const res = await patchMe(user.accessToken, { name: "  Ada  " });
    expect(res.status, res.text).toBe(200);
    expect(res.body.name).toBe("Ada");
  });

  it("rejects unknown keys (strict) and changes nothing, not even the known keys", async () => {
    const user = await signup();
    await patchMe(user.accessToken, { name: "Original" });
    for (const body of [
      { name: "Hacker", role: "admin" },
      { email: "someone-else@example.test" },
      { status: "active" },
      { name: "X", password_hash: "x" },
    ]) {
      const res = await patchMe(user.accessToken, body);
      expectProblem(res, 400, "invalid_request");
    }
    const row = await userRow(user.id);
    expect(row).toMatchObject({ name: "Original", role: "user", email: user.email });
  });

  it("rejects an invalid locale with errors[].path = locale", async () => {
    const user = await signup();
    const problem = expectProblem(
      await patchMe(user.accessToken, { locale: "not a locale!!" }),
      400,
      "invalid_request",
    );
    expect(errorPaths(problem)).toContain("locale");
    expect((await userRow(user.id)).locale).toBeNull();
  });

  it("rejects an invalid time zone with errors[].path = timezone", async () => {
    const user = await signup();
    const problem = expectProblem(
      await patchMe(user.accessToken, { name: "Kept?", timezone: "Mars/Base" }),
      400,
      "invalid_request",
    );
    expect(errorPaths(problem)).toContain("timezone");
    const row = await userRow(user.id);
    expect(row.timezone).toBeNull();
    expect(row.name).toBeNull();
  });

  it("rejects an empty body {}", async () => {
    const user = await signup();
    expectProblem(await patchMe(user.accessToken, {}), 400, "invalid_request");
  });

  it("rejects bad names and wrong types, naming the field", async () => {
    const user = await signup();
    for (const body of [{ name: "" }, { name: "   " }, { name: "x".repeat(101) }, { name: 42 }]) {
      const problem = expectProblem(await patchMe(user.accessToken, body), 400, "invalid_request");
      expect(errorPaths(problem)).toContain("name");
    }
    const problem = expectProblem(
      await patchMe(user.accessToken, { locale: 12 }),
      400,
      "invalid_request",
    );
    expect(errorPaths(problem)).toContain("locale");
    expect((await userRow(user.id)).name).toBeNull();
  });

  it("answers 400 malformed_json for a broken body and 415 for a non-JSON content type", async () => {
    const user = await signup();
    expectProblem(
      await api("PATCH", "/v1/me", {
        token: user.accessToken,
        rawBody: '{"name": ',
        headers: { "content-type": "application/json" },
      }),
      400,
      "malformed_json",
    );
    expectProblem(
      await api("PATCH", "/v1/me", {
        token: user.accessToken,
        rawBody: "name=x",
        headers: { "content-type": "text/plain" },
      }),
      415,
      "unsupported_media_type",
    );
    expect((await userRow(user.id)).name).toBeNull();
  });

  it("requires a token", async () => {
    expectProblem(await api("PATCH", "/v1/me", { body: { name: "x" } }), 401, "unauthorized");
  });
});

// ---------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------

describe("/v1/me/settings", () => {
  it("has every default right after signup, in the API and in D1", async () => {
    const user = await signup();
    const res = await getSettings(user.accessToken);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual(DEFAULT_SETTINGS);
    expect(JSON.parse((await userRow(user.id)).settings)).toEqual(DEFAULT_SETTINGS);
  });

  it("PUT replaces the whole document and GET shows it", async () => {
    const user = await signup();
    const res = await putSettings(user.accessToken, CUSTOM_SETTINGS);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual(CUSTOM_SETTINGS);
    expect((await getSettings(user.accessToken)).body).toEqual(CUSTOM_SETTINGS);
    expect(JSON.parse((await userRow(user.id)).settings)).toEqual(CUSTOM_SETTINGS);
  });

  it("PUT resets omitted keys to their defaults", async () => {
    const user = await signup();
    await putSettings(user.accessToken, CUSTOM_SETTINGS);
    const res = await putSettings(user.accessToken, { theme: "light" });
    expect(res.status, res.text).toBe(200);
    const expected = { ...DEFAULT_SETTINGS, theme: "light" };
    expect(res.body).toEqual(expected);
    expect((await getSettings(user.accessToken)).body).toEqual(expected);

    const reset = await putSettings(user.accessToken, {});
    expect(reset.status).toBe(200);
    expect((await getSettings(user.accessToken)).body).toEqual(DEFAULT_SETTINGS);
  });

  it("rejects unknown keys and wrong types with 400, leaving the stored settings unchanged", async () => {
    const user = await signup();
    await putSettings(user.accessToken, CUSTOM_SETTINGS);
    const cases: [unknown, string | null][] = [
      [{ ...CUSTOM_SETTINGS, favourite_colour: "green" }, null],
      [{ items_per_page: "ten" }, "items_per_page"],
      [{ theme: "blue" }, "theme"],
      [{ items_per_page: 4 }, "items_per_page"],
      [{ items_per_page: 201 }, "items_per_page"],
      [{ items_per_page: 25.5 }, "items_per_page"],
      [{ auto_refresh_seconds: -1 }, "auto_refresh_seconds"],
      [{ auto_refresh_seconds: 3601 }, "auto_refresh_seconds"],
      [{ email_notifications: "yes" }, "email_notifications"],
      [{ analytics_sharing: 1 }, "analytics_sharing"],
      [{ theme: null }, "theme"],
    ];
    for (const [body, path] of cases) {
      const problem = expectProblem(
        await putSettings(user.accessToken, body),
        400,
        "invalid_request",
      );
      if (path) expect(errorPaths(problem), JSON.stringify(body)).toContain(path);
    }
    // Not a JSON object at all.
    expectProblem(await putSettings(user.accessToken, [1, 2]), 400, "invalid_request");
    expectProblem(await putSettings(user.accessToken, "dark"), 400, "invalid_request");

    expect((await getSettings(user.accessToken)).body).toEqual(CUSTOM_SETTINGS);
    expect(JSON.parse((await userRow(user.id)).settings)).toEqual(CUSTOM_SETTINGS);
  });

  it("accepts the boundary values", async () => {
    const user = await signup();
    const low = { ...DEFAULT_SETTINGS, items_per_page: 5, auto_refresh_seconds: 0 };
    expect((await putSettings(user.accessToken, low)).body).toEqual(low);
    const high = { ...DEFAULT_SETTINGS, items_per_page: 200, auto_refresh_seconds: 3600 };
    expect((await putSettings(user.accessToken, high)).body).toEqual(high);
  });

  it("one user's settings never change another's", async () => {
    const a = await signup("a");
    const b = await signup("b");
    await putSettings(a.accessToken, CUSTOM_SETTINGS);
    expect((await getSettings(b.accessToken)).body).toEqual(DEFAULT_SETTINGS);
    expect((await getSettings(a.accessToken)).body).toEqual(CUSTOM_SETTINGS);
  });

  it("requires a token", async () => {
    expectProblem(await api("GET", "/v1/me/settings"), 401, "unauthorized");
    expectProblem(
      await api("PUT", "/v1/me/settings", { body: DEFAULT_SETTINGS }),
      401,
      "unauthorized",
    );
  });
});

// ---------------------------------------------------------------------------------------------
// POST /v1/me/password
// ---------------------------------------------------------------------------------------------

describe("POST /v1/me/password", () => {
  const NEW_PASSWORD = "a brand new passphrase";

  it("refuses a wrong current password with 403 incorrect_password and changes nothing", async () => {
    const user = await signup();
    const second = await login(user.email);
    const hashBefore = (await userRow(user.id)).password_hash;
    const res = await api("POST", "/v1/me/password", {
      token: user.accessToken,
      body: { current_password: "not the password", new_password: NEW_PASSWORD },
    });
    expectProblem(res, 403, "incorrect_password");
    expect((await userRow(user.id)).password_hash).toBe(hashBefore);
    expect((await login(user.email)).status).toBe(200);
    expect((await login(user.email, NEW_PASSWORD)).status).toBe(401);
    // No session was revoked.
    expect(
      await count(
        "select count(*) as n from sessions where user_id = ? and revoked_at is not null",
        user.id,
      ),
    ).toBe(0);
    expect((await refresh(second.body.refresh_token)).status).toBe(200);
  });

  it("changes the password, keeps the caller's session and ends the others", async () => {
    const user = await signup();
    const other = await login(user.email);
    expect(other.status).toBe(200);
    const hashBefore = (await userRow(user.id)).password_hash;

    const res = await api("POST", "/v1/me/password", {
      token: user.accessToken,
      body: { current_password: PASSWORD, new_password: NEW_PASSWORD },
    });
    expect(res.status, res.text).toBe(204);
    expect(res.text).toBe("");

    const row = await userRow(user.id);
    expect(row.password_hash).not.toBe(hashBefore);
    expect(row.password_hash).not.toContain(NEW_PASSWORD);

    expectProblem(await login(user.email), 401, "invalid_credentials");
    const fresh = await login(user.email, NEW_PASSWORD);
    expect(fresh.status, fresh.text).toBe(200);

    // The caller's own session goes on: its access token and refresh token still work…
    expect((await getMe(user.accessToken)).status).toBe(200);
    const own = await refresh(user.refreshToken);
    expect(own.status, own.text).toBe(200);
    // …the other login session's does not.
    expectProblem(await refresh(other.body.refresh_token), 401, "invalid_refresh_token");

    const { results } = await env.DB.prepare(
      "select id, revoked_at, revoked_reason from sessions where user_id = ? order by created_at",
    )
      .bind(user.id)
      .all<{ id: string; revoked_at: number | null; revoked_reason: string | null }>();
    const revoked = results.filter((s) => s.revoked_at !== null);
    expect(revoked).toHaveLength(1);
    expect(revoked[0]?.revoked_reason).toBe("password_changed");
  });

  it("validates the body", async () => {
    const user = await signup();
    for (const body of [
      {},
      { current_password: PASSWORD },
      { new_password: NEW_PASSWORD },
      { current_password: PASSWORD, new_password: "short" },
      { current_password: PASSWORD, new_password: "x".repeat(129) },
      { current_password: PASSWORD, new_password: NEW_PASSWORD, extra: true },
    ]) {
      expectProblem(
        await api("POST", "/v1/me/password", { token: user.accessToken, body }),
        400,
        "invalid_request",
      );
    }
    expect((await login(user.email)).status).toBe(200);
  });

  it("requires a token", async () => {
    expectProblem(
      await api("POST", "/v1/me/password", {
        body: { current_password: PASSWORD, new_password: NEW_PASSWORD },
      }),
      401,
      "unauthorized",
    );
  });
});

// ---------------------------------------------------------------------------------------------
// GET /v1/me/export
// ---------------------------------------------------------------------------------------------

describe("GET /v1/me/export", () => {
  it("exports user, settings, sessions, emails and audit as a JSON attachment", async () => {
    const user = await signup();
    await login(user.email);
    await patchMe(user.accessToken, { name: "Exported", locale: "en-GB" });
    await putSettings(user.accessToken, CUSTOM_SETTINGS);

    const res = await api<{
      exported_at: string;
      user: Json;
      settings: Json;
      sessions: Json[];
      emails: Json[];
      audit: Json[];
    }>("GET", "/v1/me/export", { token: user.accessToken });
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get("content-type") ?? "").toMatch(/^application\/json/);
    expect(res.headers.get("content-disposition") ?? "").toMatch(/^attachment/);

    expect(res.body.exported_at).toMatch(ISO);
    expect(res.body.user).toMatchObject({
      id: user.id,
      email: user.email,
      name: "Exported",
      locale: "en-GB",
      role: "user",
      status: "active",
    });
    expect(res.body.settings).toEqual(CUSTOM_SETTINGS);

    const sessionIds = await sessionIdsOf(user.id);
    expect(sessionIds).toHaveLength(2);
    expect(res.body.sessions.map((s) => s.id).sort()).toEqual([...sessionIds].sort());

    expect(res.body.emails.length).toBeGreaterThanOrEqual(1);
    expect(res.body.emails.some((e) => e.template === "verify_email" && e.to === user.email)).toBe(
      true,
    );
    expect(Array.isArray(res.body.audit)).toBe(true);
  });

  it("never contains password hashes, token hashes or mailed tokens", async () => {
    const user = await signup();
    const other = await login(user.email);
    // A pending password reset: another auth token and another outbox email.
    expect(
      (await api("POST", "/v1/auth/password/forgot", { body: { email: user.email } })).status,
    ).toBe(202);

    const res = await api("GET", "/v1/me/export", { token: user.accessToken });
    expect(res.status, res.text).toBe(200);
    const text = res.text;

    const row = await userRow(user.id);
    expect(text).not.toContain("pbkdf2");
    expect(text).not.toContain(row.password_hash);
    expect(text).not.toContain("password_hash");
    expect(text).not.toContain("passwordHash");
    expect(text).not.toContain("token_hash");
    expect(text).not.toContain("tokenHash");
    expect(text).not.toContain("text_body");

    const { results: refreshRows } = await env.DB.prepare(
      "select r.token_hash from refresh_tokens r join sessions s on s.id = r.session_id where s.user_id = ?",
    )
      .bind(user.id)
      .all<{ token_hash: string }>();
    const { results: authRows } = await env.DB.prepare(
      "select token_hash from auth_tokens where user_id = ?",
    )
      .bind(user.id)
      .all<{ token_hash: string }>();
    expect(refreshRows.length).toBeGreaterThanOrEqual(2);
    expect(authRows.length).toBeGreaterThanOrEqual(2);
    for (const { token_hash } of [...refreshRows, ...authRows]) {
      expect(text).not.toContain(token_hash);
    }
    expect(text).not.toContain(user.refreshToken);
    expect(text).not.toContain(other.body.refresh_token);
    expect(text).not.toContain(await mailedToken(user.email, "verify_email"));
    expect(text).not.toContain(await mailedToken(user.email, "password_reset"));
  });

  it("includes the admin actions taken on the user", async () => {
    const admin = await signupAdmin();
    const user = await signup();
    const patched = await api("PATCH", `/v1/admin/users/${user.id}`, {
      token: admin.accessToken,
      body: { role: "user" },
    });
    expect(patched.status, patched.text).toBe(200);
    const res = await api<{ audit: { action: string; data: Json }[] }>("GET", "/v1/me/export", {
      token: user.accessToken,
    });
    expect(res.status).toBe(200);
    expect(res.body.audit).toHaveLength(1);
    expect(res.body.audit[0]).toMatchObject({
      action: "user.update",
      data: { before: { role: "user", status: "active" }, after: { role: "user" } },
    });
  });

  it("contains nothing of another user", async () => {
    const a = await signup("exa");
    const b = await signup("exb");
    await login(b.email);
    await patchMe(b.accessToken, { name: "Bee Secret" });
    const res = await api("GET", "/v1/me/export", { token: a.accessToken });
    expect(res.status).toBe(200);
    expect(res.text).not.toContain(b.id);
    expect(res.text).not.toContain(b.email);
    expect(res.text).not.toContain("Bee Secret");
    for (const sid of await sessionIdsOf(b.id)) expect(res.text).not.toContain(sid);
  });

  it("requires a token", async () => {
    expectProblem(await api("GET", "/v1/me/export"), 401, "unauthorized");
  });
});

// ---------------------------------------------------------------------------------------------
// DELETE /v1/me
// ---------------------------------------------------------------------------------------------

describe("DELETE /v1/me", () => {
  const deleteMe = (user: TestUser, password: unknown) =>
    api("DELETE", "/v1/me", { token: user.accessToken, body: { password } });

  async function rowsOf(userId: string, sessionIds: string[]) {
    const placeholders = sessionIds.map(() => "?").join(",") || "''";
    return {
      sessions: await count("select count(*) as n from sessions where user_id = ?", userId),
      refreshTokens: await count(
        `select count(*) as n from refresh_tokens where session_id in (${placeholders})`,
        ...sessionIds,
      ),
      authTokens: await count("select count(*) as n from auth_tokens where user_id = ?", userId),
      outbox: await count("select count(*) as n from email_outbox where user_id = ?", userId),
    };
  }

  it("refuses a wrong password with 403 incorrect_password and changes nothing", async () => {
    const user = await signup();
    const before = await userRow(user.id);
    const sessionIds = await sessionIdsOf(user.id);
    const rowsBefore = await rowsOf(user.id, sessionIds);

    expectProblem(await deleteMe(user, "wrong password"), 403, "incorrect_password");

    expect(await userRow(user.id)).toEqual(before);
    expect(await rowsOf(user.id, sessionIds)).toEqual(rowsBefore);
    expect((await getMe(user.accessToken)).status).toBe(200);
    expect((await login(user.email)).status).toBe(200);
  });

  it("validates the body", async () => {
    const user = await signup();
    expectProblem(
      await api("DELETE", "/v1/me", { token: user.accessToken, body: {} }),
      400,
      "invalid_request",
    );
    expectProblem(await deleteMe(user, ""), 400, "invalid_request");
    expectProblem(
      await api("DELETE", "/v1/me", {
        token: user.accessToken,
        body: { password: PASSWORD, confirm: true },
      }),
      400,
      "invalid_request",
    );
    expect((await userRow(user.id)).status).toBe("active");
  });

  it("requires a token", async () => {
    expectProblem(
      await api("DELETE", "/v1/me", { body: { password: PASSWORD } }),
      401,
      "unauthorized",
    );
  });

  it("deletes the account: credentials, tokens and personal data are gone", async () => {
    const user = await signup();
    await patchMe(user.accessToken, {
      name: "To Be Deleted",
      locale: "en-GB",
      timezone: "Europe/London",
    });
    await putSettings(user.accessToken, CUSTOM_SETTINGS);
    const second = await login(user.email);
    expect(second.status).toBe(200);
    // A pending password reset: an auth token and an email of a second kind.
    await api("POST", "/v1/auth/password/forgot", { body: { email: user.email } });

    const sessionIds = await sessionIdsOf(user.id);
    const rowsBefore = await rowsOf(user.id, sessionIds);
    expect(rowsBefore.sessions).toBe(2);
    expect(rowsBefore.refreshTokens).toBe(2);
    expect(rowsBefore.authTokens).toBe(2);
    expect(rowsBefore.outbox).toBe(2);
    const hashBefore = (await userRow(user.id)).password_hash;

    const res = await deleteMe(user, PASSWORD);
    expect(res.status, res.text).toBe(204);
    expect(res.text).toBe("");

    // D1: the row stays, anonymized; everything hanging off it is gone.
    const row = await userRow(user.id);
    expect(row.status).toBe("deleted");
    expect(row.email).not.toBe(user.email);
    expect(row.email).not.toContain(user.email.split("@")[0] ?? user.email);
    expect(row.name).toBeNull();
    expect(row.locale).toBeNull();
    expect(row.timezone).toBeNull();
    expect(row.deleted_at).not.toBeNull();
    expect(row.password_hash).not.toBe(hashBefore);
    expect(JSON.parse(row.settings)).toEqual(DEFAULT_SETTINGS);
    expect(await rowsOf(user.id, sessionIds)).toEqual({
      sessions: 0,
      refreshTokens: 0,
      authTokens: 0,
      outbox: 0,
    });
    expect(await count("select count(*) as n from users where email = ?", user.email)).toBe(0);

    // The API: nothing works any more.
    expectProblem(await login(user.email), 401, "invalid_credentials");
    expectProblem(await getMe(user.accessToken), 401, "invalid_token");
    expectProblem(await getSettings(user.accessToken), 401, "invalid_token");
    expectProblem(await patchMe(user.accessToken, { name: "Back" }), 401, "invalid_token");
    expectProblem(
      await api("GET", "/v1/me/export", { token: user.accessToken }),
      401,
      "invalid_token",
    );
    expectProblem(await refresh(user.refreshToken), 401, "invalid_refresh_token");
    expectProblem(await refresh(second.body.refresh_token), 401, "invalid_refresh_token");
    // A second delete with the old token is not possible either.
    expectProblem(await deleteMe(user, PASSWORD), 401, "invalid_token");
    expect((await userRow(user.id)).status).toBe("deleted");
  });

  it("frees the email: it can sign up again as a new account", async () => {
    const user = await signup();
    expect((await deleteMe(user, PASSWORD)).status).toBe(204);

    const again = await api<{ user: { id: string; email: string }; access_token: string }>(
      "POST",
      "/v1/auth/signup",
      { body: { email: user.email, password: "another long password" } },
    );
    expect(again.status, again.text).toBe(201);
    expect(again.body.user.id).not.toBe(user.id);
    expect(again.body.user.email).toBe(user.email);

    const me = await getMe(again.body.access_token);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: again.body.user.id, name: null });
    expect((await getSettings(again.body.access_token)).body).toEqual(DEFAULT_SETTINGS);
    expect((await login(user.email, "another long password")).status).toBe(200);
    expectProblem(await login(user.email, PASSWORD), 401, "invalid_credentials");
    // The old token still belongs to the deleted account, not the new one.
    expectProblem(await getMe(user.accessToken), 401, "invalid_token");
    expect((await userRow(user.id)).status).toBe("deleted");
  });

  it("leaves other users untouched", async () => {
    const victim = await signup("del");
    const bystander = await signup("keep");
    await login(bystander.email);
    const before = await rowsOf(bystander.id, await sessionIdsOf(bystander.id));

    expect((await deleteMe(victim, PASSWORD)).status).toBe(204);

    expect(await rowsOf(bystander.id, await sessionIdsOf(bystander.id))).toEqual(before);
    expect((await getMe(bystander.accessToken)).status).toBe(200);
    expect((await refresh(bystander.refreshToken)).status).toBe(200);
    expect((await userRow(bystander.id)).status).toBe("active");
  });
});

// ---------------------------------------------------------------------------------------------
// Isolation
// ---------------------------------------------------------------------------------------------

describe("isolation between users", () => {
  it("each token sees only its own user", async () => {
    const a = await signup("isoa");
    const b = await signup("isob");
    await patchMe(b.accessToken, { name: "Bee" });
    const ra = await getMe(a.accessToken);
    expect(ra.body).toMatchObject({ id: a.id, email: a.email, name: null });
    expect(ra.text).not.toContain(b.id);
    const rb = await getMe(b.accessToken);
    expect(rb.body).toMatchObject({ id: b.id, email: b.email, name: "Bee" });
  });

  it("a user's changes never touch another user's row", async () => {
    const a = await signup("isoa");
    const b = await signup("isob");
    const bBefore = await userRow(b.id);
    await patchMe(a.accessToken, { name: "A", locale: "it", timezone: "Europe/Rome" });
    await putSettings(a.accessToken, CUSTOM_SETTINGS);
    await api("POST", "/v1/me/password", {
      token: a.accessToken,
      body: { current_password: PASSWORD, new_password: "a different passphrase" },
    });
    expect(await userRow(b.id)).toEqual(bBefore);
    expect((await login(b.email)).status).toBe(200);
    expect((await refresh(b.refreshToken)).status).toBe(200);
  });

  it("has no route that takes another user's id outside /v1/admin", async () => {
    const a = await signup("isoa");
    const b = await signup("isob");
    for (const path of [
      `/v1/me/${b.id}`,
      `/v1/me/${b.id}/settings`,
      `/v1/me/${b.id}/export`,
      `/v1/users/${b.id}`,
      `/v1/users/${b.id}/settings`,
    ]) {
      const res = await api("GET", path, { token: a.accessToken });
      expectProblem(res, 404, "not_found");
      expect(res.text).not.toContain(b.email);
    }
    // A user id in the body or query is not a way in either.
    const patched = await patchMe(a.accessToken, { id: b.id, name: "Hijack" });
    expectProblem(patched, 400, "invalid_request");
    expect((await userRow(b.id)).name).toBeNull();
    const viaQuery = await api("GET", `/v1/me?user_id=${b.id}&id=${b.id}`, {
      token: a.accessToken,
    });
    expect(viaQuery.status).toBe(200);
    expect(viaQuery.body.id).toBe(a.id);
    const settingsViaQuery = await api<Json>("GET", `/v1/me/export?user_id=${b.id}`, {
      token: a.accessToken,
    });
    expect(settingsViaQuery.text).not.toContain(b.email);
  });

  it("no route outside /v1/admin accepts another user's id as a parameter", async () => {
    const a = await signup("isoa");
    const b = await signup("isob");
    // One thing of b's for each kind of id a route takes.
    const key = await api<{ id: string }>("POST", "/v1/me/api-keys", {
      token: b.accessToken,
      body: { name: "b's key" },
    });
    expect(key.status, key.text).toBe(201);
    const payment = await insertPayment(b.id);
    const foreignIds: Record<string, string> = {
      "DELETE /v1/me/api-keys/:id": key.body.id,
      "GET /v1/payments/:id": payment.id,
    };
    // Provider callbacks: the parameter names a provider, nothing of a user's.
    const notOwned = ["POST /v1/webhooks/:provider"];
    const bBefore = await userRow(b.id);
    const routes = [
      ...new Set(
        app.routes
          .filter((r) => r.method !== "ALL" && !r.path.includes("*") && r.path.includes(":"))
          .filter((r) => !r.path.startsWith("/v1/admin/"))
          .map((r) => `${r.method} ${r.path}`),
      ),
    ];
    // Every such route is swept: a new one must name the id of b's it is tried with.
    expect(routes.filter((r) => !notOwned.includes(r)).sort()).toEqual(
      Object.keys(foreignIds).sort(),
    );
    for (const route of routes) {
      const [method = "GET", pattern = ""] = route.split(" ");
      const path = pattern.replace(/:[A-Za-z_]+/g, foreignIds[route] ?? b.id);
      const res = await api(method, path, {
        token: a.accessToken,
        ...(method === "GET" || method === "DELETE" ? {} : { body: {} }),
      });
      expect(res.status, `${route}: ${res.text}`).toBeGreaterThanOrEqual(400);
      expect(res.status, route).not.toBe(500);
      expect(res.text).not.toContain(b.email);
      if (notOwned.includes(route)) continue;
      // The route looked for the id and did not find it as a's: its own 404, not the router's.
      expectProblem(res, 404, "not_found");
      expect(res.text, route).toMatch(/ not found"/);
      expect(res.text, route).not.toContain("No route for");
      // The same request by the owner reaches the thing.
      const own = await api(method, path, { token: b.accessToken });
      expect(own.status, `${route} by its owner: ${own.text}`).toBeLessThan(300);
    }
    expect(await userRow(b.id)).toEqual(bBefore);
  });

  it("a token forged for another user is rejected", async () => {
    const a = await signup("isoa");
    const b = await signup("isob");
    const [header, , signature] = a.accessToken.split(".");
    const [, payloadB] = b.accessToken.split(".");
    expectProblem(await getMe(`${header}.${payloadB}.${signature}`), 401, "invalid_token");
  });

  it("admin routes answer 403 forbidden to a non-admin", async () => {
    const a = await signup("isoa");
    const b = await signup("isob");
    const routes: [string, string, unknown?][] = [
      ["GET", "/v1/admin/users"],
      ["GET", `/v1/admin/users/${b.id}`],
      ["PATCH", `/v1/admin/users/${b.id}`, { status: "disabled" }],
      ["PATCH", `/v1/admin/users/${a.id}`, { role: "admin" }],
      ["GET", "/v1/admin/audit"],
    ];
    for (const [method, path, body] of routes) {
      const res = await api(method, path, { token: a.accessToken, body });
      expectProblem(res, 403, "forbidden");
      expect(res.text).not.toContain(b.email);
    }
    expect((await userRow(b.id)).status).toBe("active");
    expect((await userRow(a.id)).role).toBe("user");
    expect(
      await count(
        "select count(*) as n from audit_log where actor_id = ? or target_id = ?",
        a.id,
        b.id,
      ),
    ).toBe(0);
  });
});
