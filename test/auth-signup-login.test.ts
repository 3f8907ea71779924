// Signing up and logging in: what each writes (user, session, hashed tokens, the verify email),
// and every way each refuses.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  type AuthBody,
  countOutbox,
  countUsersWithEmail,
  expectFieldErrors,
  me,
  post,
  refresh,
  sessionIdOf,
  sha256Hex,
  tableCounts,
} from "./auth-helpers";
import { setUserStatus } from "./fixtures";
import {
  count,
  expectProblem,
  login,
  mailedToken,
  PASSWORD,
  type Problem,
  signup,
  uniqueEmail,
} from "./helpers";

// ---------------------------------------------------------------------------------------------
// Signup
// ---------------------------------------------------------------------------------------------

describe("POST /v1/auth/signup", () => {
  // First in the file on purpose: the emails queue consumer marks rows sent about a second after
  // the first message (or once ten are queued), so this looks before any batch can be delivered.
  it("writes exactly one pending verify_email outbox row for the new address", async () => {
    const user = await signup("outbox");
    const rows = await env.DB.prepare(
      "select user_id, template, status, subject, text_body from email_outbox where to_address = ?",
    )
      .bind(user.email)
      .all<{
        user_id: string;
        template: string;
        status: string;
        subject: string;
        text_body: string;
      }>();
    expect(rows.results).toHaveLength(1);
    expect(rows.results[0]).toMatchObject({
      user_id: user.id,
      template: "verify_email",
      status: "pending",
    });
    expect(rows.results[0]?.text_body).toMatch(
      /https:\/\/app\.test\/account\/verify\?token=[A-Za-z0-9_-]{40,}/,
    );
    expect(await countOutbox(user.email, "password_reset")).toBe(0);
    // The mailed token exists hashed in auth_tokens, unused, for email verification.
    const token = await mailedToken(user.email, "verify_email");
    expect(
      await count(
        "select count(*) as n from auth_tokens where token_hash = ? and user_id = ? and purpose = 'email_verify' and used_at is null",
        await sha256Hex(token),
        user.id,
      ),
    ).toBe(1);
  });

  it("creates the user and a session and answers 201 with the documented shape", async () => {
    const email = uniqueEmail("shape");
    const before = Date.now();
    const res = await post<AuthBody>("/v1/auth/signup", {
      email,
      password: PASSWORD,
      name: "  Ada Lovelace  ",
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("content-type") ?? "").toMatch(/^application\/json/);
    expect(res.body).toEqual({
      user: {
        id: expect.stringMatching(/^usr_[0-9a-z]{26}$/),
        email,
        name: "Ada Lovelace",
        role: "user",
        email_verified: false,
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      },
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      token_type: "Bearer",
      expires_in: 900,
    });
    const createdAt = Date.parse(res.body.user.created_at);
    expect(createdAt).toBeGreaterThanOrEqual(before - 5_000);
    expect(createdAt).toBeLessThanOrEqual(Date.now() + 5_000);
    expect(res.text).not.toContain("password");
    expect(res.text).not.toContain("pbkdf2");

    const row = await env.DB.prepare(
      "select id, email, name, role, status, password_hash, email_verified_at from users where email = ?",
    )
      .bind(email)
      .first<{
        id: string;
        email: string;
        name: string | null;
        role: string;
        status: string;
        password_hash: string;
        email_verified_at: number | null;
      }>();
    expect(row).toMatchObject({
      id: res.body.user.id,
      email,
      name: "Ada Lovelace",
      role: "user",
      status: "active",
      email_verified_at: null,
    });
    expect(row?.password_hash).toMatch(/^pbkdf2_sha256\$100000\$[^$]+\$[A-Za-z0-9+/=]+$/);
    expect(row?.password_hash).not.toContain(PASSWORD);

    expect(
      await count("select count(*) as n from sessions where user_id = ?", res.body.user.id),
    ).toBe(1);
    // The access token names the session just created.
    expect(
      await count(
        "select count(*) as n from sessions where id = ? and user_id = ? and revoked_at is null",
        sessionIdOf(res.body.access_token),
        res.body.user.id,
      ),
    ).toBe(1);
  });

  it("stores the refresh token only as its SHA-256 hash", async () => {
    const user = await signup("hash");
    expect(
      await count(
        "select count(*) as n from refresh_tokens where token_hash = ?",
        user.refreshToken,
      ),
    ).toBe(0);
    expect(
      await count(
        `select count(*) as n from refresh_tokens r join sessions s on s.id = r.session_id
         where r.token_hash = ? and s.user_id = ?`,
        await sha256Hex(user.refreshToken),
        user.id,
      ),
    ).toBe(1);
  });

  it("returns a working access token and refresh token", async () => {
    const user = await signup("works");
    const profile = await me(user.accessToken);
    expect(profile.status).toBe(200);
    expect(profile.body).toMatchObject({ id: user.id, email: user.email, role: "user" });
    const refreshed = await refresh(user.refreshToken);
    expect(refreshed.status).toBe(200);
  });

  it("name is optional and null when omitted", async () => {
    const email = uniqueEmail("noname");
    const res = await post<AuthBody>("/v1/auth/signup", { email, password: PASSWORD });
    expect(res.status).toBe(201);
    expect(res.body.user.name).toBeNull();
  });

  it("rejects a taken email with 409 email_taken and writes nothing", async () => {
    const user = await signup("taken");
    const before = await tableCounts();
    const res = await post("/v1/auth/signup", { email: user.email, password: "another password" });
    const problem = expectProblem(res, 409, "email_taken");
    expect(problem.instance).toBe("/v1/auth/signup");
    expect(await tableCounts()).toEqual(before);
    expect(await countUsersWithEmail(user.email)).toBe(1);
    expect(await countOutbox(user.email, "verify_email")).toBe(1);
    // The original password still works; the second signup's does not.
    expect((await login(user.email)).status).toBe(200);
    expectProblem(await login(user.email, "another password"), 401, "invalid_credentials");
  });

  it("two concurrent signups for one email: one 201, one 409, one user", async () => {
    const email = uniqueEmail("race");
    const results = await Promise.all([
      post("/v1/auth/signup", { email, password: PASSWORD }),
      post("/v1/auth/signup", { email: email.toUpperCase(), password: "other password" }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    const loser = results.find((r) => r.status === 409);
    if (loser) expectProblem(loser, 409, "email_taken");
    expect(await countUsersWithEmail(email)).toBe(1);
    expect(await countOutbox(email, "verify_email")).toBe(1);
  });

  it("treats emails case-insensitively: an upper-case variant of a taken email is 409", async () => {
    const user = await signup("case");
    const res = await post("/v1/auth/signup", {
      email: user.email.toUpperCase(),
      password: PASSWORD,
    });
    expectProblem(res, 409, "email_taken");
    expect(await countUsersWithEmail(user.email)).toBe(1);
  });

  it("stores a mixed-case email lower-cased", async () => {
    const lower = uniqueEmail("mixed");
    const mixed = `Mixed-${lower.slice("mixed-".length).toUpperCase()}`;
    const res = await post<AuthBody>("/v1/auth/signup", { email: mixed, password: PASSWORD });
    expect(res.status).toBe(201);
    expect(res.body.user.email).toBe(mixed.toLowerCase());
    expect(
      await count("select count(*) as n from users where email = ?", mixed.toLowerCase()),
    ).toBe(1);
    expect(await count("select count(*) as n from users where email = ?", mixed)).toBe(0);
  });

  it.each([
    ["8 characters", "a".repeat(8)],
    ["128 characters", "b".repeat(128)],
  ])("accepts a password of %s", async (_label, password) => {
    const email = uniqueEmail("pwok");
    const res = await post<AuthBody>("/v1/auth/signup", { email, password });
    expect(res.status).toBe(201);
    expect((await login(email, password)).status).toBe(200);
  });

  it.each([
    ["7 characters", "a".repeat(7)],
    ["129 characters", "b".repeat(129)],
    ["empty", ""],
  ])("rejects a password of %s with 400 invalid_request", async (_label, password) => {
    const email = uniqueEmail("pwbad");
    const res = await post("/v1/auth/signup", { email, password });
    expectFieldErrors(expectProblem(res, 400, "invalid_request"), ["password"]);
    expect(await countUsersWithEmail(email)).toBe(0);
  });

  it.each([
    ["not an email", "not-an-email"],
    ["missing domain", "someone@"],
    ["too long", `${"x".repeat(250)}@example.test`],
  ])("rejects an email that is %s", async (_label, email) => {
    const res = await post("/v1/auth/signup", { email, password: PASSWORD });
    expectFieldErrors(expectProblem(res, 400, "invalid_request"), ["email"]);
    expect(await countUsersWithEmail(email)).toBe(0);
  });

  it.each([
    ["blank", "   "],
    ["too long", "n".repeat(101)],
    ["not a string", 42],
  ])("rejects a name that is %s", async (_label, name) => {
    const email = uniqueEmail("badname");
    const res = await post("/v1/auth/signup", { email, password: PASSWORD, name });
    expectFieldErrors(expectProblem(res, 400, "invalid_request"), ["name"]);
    expect(await countUsersWithEmail(email)).toBe(0);
  });

  it("does not let the client choose its role or verification state", async () => {
    const email = uniqueEmail("sneaky");
    const res = await post("/v1/auth/signup", {
      email,
      password: PASSWORD,
      role: "admin",
      email_verified: true,
    });
    expectFieldErrors(expectProblem(res, 400, "invalid_request"));
    expect(await countUsersWithEmail(email)).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// Login
// ---------------------------------------------------------------------------------------------

describe("POST /v1/auth/login", () => {
  it("answers 200 with the user and a new session's tokens", async () => {
    const user = await signup("login");
    const res = await login(user.email);
    expect(res.status).toBe(200);
    const body = res.body as unknown as AuthBody;
    expect(body).toEqual({
      user: {
        id: user.id,
        email: user.email,
        name: null,
        role: "user",
        email_verified: false,
        created_at: expect.any(String),
      },
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      token_type: "Bearer",
      expires_in: 900,
    });
    expect(body.refresh_token).not.toBe(user.refreshToken);
    expect(sessionIdOf(body.access_token)).not.toBe(sessionIdOf(user.accessToken));
    expect(await count("select count(*) as n from sessions where user_id = ?", user.id)).toBe(2);
    expect((await me(body.access_token)).status).toBe(200);
    // Both sessions work independently.
    expect((await refresh(body.refresh_token)).status).toBe(200);
    expect((await refresh(user.refreshToken)).status).toBe(200);
  });

  it("accepts the email in a different case", async () => {
    const user = await signup("logincase");
    const res = await login(user.email.toUpperCase());
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ id: user.id, email: user.email });
  });

  it("wrong password and unknown email give identical 401 invalid_credentials", async () => {
    const user = await signup("enum");
    const wrongPassword = await login(user.email, "not the right password");
    const unknownEmail = await login(uniqueEmail("nobody"), "not the right password");
    const a = expectProblem(wrongPassword, 401, "invalid_credentials");
    const b = expectProblem(unknownEmail, 401, "invalid_credentials");
    const comparable = (p: Problem) => ({
      type: p.type,
      title: p.title,
      status: p.status,
      detail: p.detail,
      code: p.code,
    });
    expect(comparable(a)).toEqual(comparable(b));
    // Nothing else tells them apart either: same keys, same headers that matter.
    expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
    expect(wrongPassword.headers.get("www-authenticate")).toBe(
      unknownEmail.headers.get("www-authenticate"),
    );
    expect(await count("select count(*) as n from sessions where user_id = ?", user.id)).toBe(1);
  });

  it("rejects a password that differs only in case", async () => {
    const user = await signup("pwcase");
    expectProblem(await login(user.email, PASSWORD.toUpperCase()), 401, "invalid_credentials");
  });

  it("a disabled user with the right password gets 403 account_disabled and no session", async () => {
    const user = await signup("disabled");
    await setUserStatus(user.id, "disabled");
    const res = await login(user.email);
    expectProblem(res, 403, "account_disabled");
    expect(await count("select count(*) as n from sessions where user_id = ?", user.id)).toBe(1);
  });

  it("a disabled user with a wrong password gets 401 invalid_credentials", async () => {
    const user = await signup("disabledwrong");
    await setUserStatus(user.id, "disabled");
    expectProblem(await login(user.email, "wrong password!"), 401, "invalid_credentials");
  });

  it("a deleted user cannot log in, even with the right password (401)", async () => {
    const user = await signup("deleted");
    await setUserStatus(user.id, "deleted");
    expectProblem(await login(user.email), 401, "invalid_credentials");
  });

  it("missing password is 400 invalid_request", async () => {
    const user = await signup("nopw");
    const res = await post("/v1/auth/login", { email: user.email });
    expectFieldErrors(expectProblem(res, 400, "invalid_request"), ["password"]);
  });
});
