import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { base64url, decodeJwt, decodeProtectedHeader, SignJWT } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../src/index";
import {
  type ApiResponse,
  api,
  count,
  login,
  mailedToken,
  PASSWORD,
  signup,
  type TestUser,
  uniqueEmail,
} from "./helpers";

// ---------------------------------------------------------------------------------------------
// Local helpers
// ---------------------------------------------------------------------------------------------

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const KEY_CURRENT = { kid: "test-2", secret: "test-signing-key-number-two-0123456789" };
const KEY_PREVIOUS = { kid: "test-1", secret: "test-signing-key-number-one-0123456789" };
const ADMIN_EMAIL = "root@tollgate.test";

interface PublicUser {
  id: string;
  email: string;
  name: string | null;
  role: "user" | "admin";
  email_verified: boolean;
  created_at: string;
}

interface AuthBody {
  user: PublicUser;
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
}

interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  code: string;
  instance?: string;
  request_id?: string;
  errors?: { path: string; message: string }[];
}

interface MeBody extends PublicUser {
  locale: string | null;
  timezone: string | null;
}

afterEach(() => {
  vi.useRealTimers();
});

/** Asserts an RFC 9457 problem with this status and code, and returns its body. */
function expectProblem(res: ApiResponse<unknown>, status: number, code: string): ProblemBody {
  expect({ status: res.status, text: res.text }).toMatchObject({ status });
  expect(res.headers.get("content-type") ?? "").toMatch(/^application\/problem\+json/);
  const body = res.body as ProblemBody;
  expect(body).toMatchObject({
    type: `https://tollgate.dev/problems/${code}`,
    status,
    code,
  });
  expect(typeof body.title).toBe("string");
  return body;
}

function expectFieldErrors(body: ProblemBody, paths: string[] = []): void {
  expect(Array.isArray(body.errors)).toBe(true);
  const errors = body.errors ?? [];
  expect(errors.length).toBeGreaterThan(0);
  for (const error of errors) {
    expect(typeof error.path).toBe("string");
    expect(typeof error.message).toBe("string");
    expect(error.message.length).toBeGreaterThan(0);
  }
  const seen = errors.map((e) => e.path);
  for (const path of paths) expect(seen).toContain(path);
}

function post<T = ProblemBody>(path: string, body: unknown, token?: string) {
  return api<T>("POST", path, token === undefined ? { body } : { body, token });
}

const refresh = (refreshToken: string) =>
  post<AuthBody>("/v1/auth/refresh", { refresh_token: refreshToken });
const logout = (refreshToken: string) => post("/v1/auth/logout", { refresh_token: refreshToken });
const me = (token?: string) => api<MeBody>("GET", "/v1/me", token === undefined ? {} : { token });
const forgot = (email: string) => post("/v1/auth/password/forgot", { email });
const reset = (token: string, password: string) =>
  post("/v1/auth/password/reset", { token, password });
const verifyEmail = (token: string) => post("/v1/auth/email/verify", { token });

/** A request with a body but no Content-Type header at all (a string body would add text/plain). */
async function requestWithoutContentType(path: string, body: string): Promise<ApiResponse> {
  const ctx = createExecutionContext();
  const request = new Request(`https://api.test${path}`, {
    method: "POST",
    body: new TextEncoder().encode(body),
  });
  expect(request.headers.get("content-type")).toBeNull();
  const response = await worker.fetch(request, env, ctx);
  await waitOnExecutionContext(ctx);
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  return {
    status: response.status,
    headers: response.headers,
    body: parsed as Record<string, unknown>,
    text,
  };
}

async function sha256Hex(value: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value)),
  );
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Rows of these tables, to prove a rejected request wrote nothing. */
async function tableCounts(): Promise<Record<string, number>> {
  const tables = ["users", "sessions", "refresh_tokens", "auth_tokens", "email_outbox"];
  const counts: Record<string, number> = {};
  for (const table of tables) counts[table] = await count(`select count(*) as n from ${table}`);
  return counts;
}

const countUsersWithEmail = (email: string) =>
  count("select count(*) as n from users where email = ? collate nocase", email);

const countOutbox = (to: string, template: string) =>
  count(
    "select count(*) as n from email_outbox where to_address = ? and template = ?",
    to,
    template,
  );

async function setUserStatus(userId: string, status: "active" | "disabled" | "deleted") {
  await env.DB.prepare("update users set status = ? where id = ?").bind(status, userId).run();
}

function sessionIdOf(accessToken: string): string {
  const sid = decodeJwt(accessToken).sid;
  if (typeof sid !== "string") throw new Error("access token without sid");
  return sid;
}

interface ForgeOptions {
  kid?: string | undefined;
  secret?: string;
  alg?: "HS256" | "HS384" | "HS512";
  iss?: string | undefined;
  aud?: string | undefined;
  sub?: string | undefined;
  role?: unknown;
  sid?: unknown;
  iatSeconds?: number;
  expSeconds?: number;
}

/** Signs an access token the way src/auth/tokens.ts does, with any part overridable. */
async function forgeToken(user: TestUser, options: ForgeOptions = {}): Promise<string> {
  const nowSeconds = Math.floor(Date.now() / 1000);
  const iat = options.iatSeconds ?? nowSeconds;
  const claims: Record<string, unknown> = {};
  const role = "role" in options ? options.role : "user";
  const sid = "sid" in options ? options.sid : sessionIdOf(user.accessToken);
  if (role !== undefined) claims.role = role;
  if (sid !== undefined) claims.sid = sid;
  // Header and claims in the order src/auth/tokens.ts writes them, so a token forged with the
  // defaults is byte-for-byte the one the server would sign.
  const alg = options.alg ?? "HS256";
  const kid = "kid" in options ? options.kid : KEY_CURRENT.kid;
  const header = kid === undefined ? { alg, typ: "JWT" } : { alg, kid, typ: "JWT" };
  let jwt = new SignJWT(claims).setProtectedHeader(header);
  const sub = "sub" in options ? options.sub : user.id;
  if (sub !== undefined) jwt = jwt.setSubject(sub);
  const iss = "iss" in options ? options.iss : "tollgate";
  if (iss !== undefined) jwt = jwt.setIssuer(iss);
  const aud = "aud" in options ? options.aud : "tollgate-api";
  if (aud !== undefined) jwt = jwt.setAudience(aud);
  jwt = jwt.setIssuedAt(iat).setExpirationTime(options.expSeconds ?? iat + 900);
  return jwt.sign(new TextEncoder().encode(options.secret ?? KEY_CURRENT.secret));
}

function encodeSegment(value: unknown): string {
  return base64url.encode(JSON.stringify(value));
}

/** Replaces one character in the middle of a segment of a JWT with a different one. */
function flipChar(token: string, segment: 0 | 1 | 2): string {
  const parts = token.split(".");
  const part = parts[segment] ?? "";
  const index = Math.floor(part.length / 2);
  const original = part[index];
  const replacement = original === "A" ? "B" : "A";
  parts[segment] = `${part.slice(0, index)}${replacement}${part.slice(index + 1)}`;
  return parts.join(".");
}

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
      /https:\/\/app\.test\/verify-email\?token=[A-Za-z0-9_-]{40,}/,
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
    const comparable = (p: ProblemBody) => ({
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

// ---------------------------------------------------------------------------------------------
// Refresh
// ---------------------------------------------------------------------------------------------

describe("POST /v1/auth/refresh", () => {
  it("rotates: 200 with new tokens for the same session", async () => {
    const user = await signup("rotate");
    const res = await refresh(user.refreshToken);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      user: expect.objectContaining({ id: user.id, email: user.email, role: "user" }),
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      token_type: "Bearer",
      expires_in: 900,
    });
    expect(res.body.refresh_token).not.toBe(user.refreshToken);
    expect(sessionIdOf(res.body.access_token)).toBe(sessionIdOf(user.accessToken));
    expect((await me(res.body.access_token)).status).toBe(200);
    // A chain of rotations keeps working.
    const second = await refresh(res.body.refresh_token);
    expect(second.status).toBe(200);
    const third = await refresh(second.body.refresh_token);
    expect(third.status).toBe(200);
  });

  it("reuse of a rotated token is 401 and revokes the whole family", async () => {
    const user = await signup("reuse");
    const other = await login(user.email);
    expect(other.status).toBe(200);

    const first = await refresh(user.refreshToken);
    expect(first.status).toBe(200);
    const newest = first.body.refresh_token;

    expectProblem(await refresh(user.refreshToken), 401, "invalid_refresh_token");
    expectProblem(await refresh(newest), 401, "invalid_refresh_token");
    expect(
      await count(
        "select count(*) as n from sessions where id = ? and revoked_at is not null",
        sessionIdOf(user.accessToken),
      ),
    ).toBe(1);
    // Only that family: the user's other session is untouched.
    expect((await refresh(other.body.refresh_token)).status).toBe(200);
  });

  it("two concurrent refreshes with one token: exactly one 200", async () => {
    const user = await signup("rtrace");
    const results = await Promise.all([refresh(user.refreshToken), refresh(user.refreshToken)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
    const loser = results.find((r) => r.status === 401);
    if (loser) expectProblem(loser, 401, "invalid_refresh_token");
  });

  it("a refresh token still works after 29 days (control for expiry)", async () => {
    const start = Date.now();
    vi.setSystemTime(start);
    const user = await signup("rtalive");
    vi.setSystemTime(start + 29 * DAY);
    expect((await refresh(user.refreshToken)).status).toBe(200);
  });

  it("an unknown refresh token is 401 invalid_refresh_token", async () => {
    expectProblem(await refresh("x".repeat(43)), 401, "invalid_refresh_token");
  });

  it("an expired refresh token (after 30 days) is 401", async () => {
    const start = Date.now();
    vi.setSystemTime(start);
    const user = await signup("rtexpire");
    vi.setSystemTime(start + 31 * DAY);
    expectProblem(await refresh(user.refreshToken), 401, "invalid_refresh_token");
  });

  it("a disabled user's refresh token stops working (401)", async () => {
    const user = await signup("rtdisabled");
    await setUserStatus(user.id, "disabled");
    expectProblem(await refresh(user.refreshToken), 401, "invalid_refresh_token");
  });

  it("a too-short refresh token is 400 invalid_request", async () => {
    const res = await post("/v1/auth/refresh", { refresh_token: "short" });
    expectFieldErrors(expectProblem(res, 400, "invalid_request"), ["refresh_token"]);
  });
});

// ---------------------------------------------------------------------------------------------
// Logout
// ---------------------------------------------------------------------------------------------

describe("POST /v1/auth/logout", () => {
  it("204, then that refresh token fails; other sessions keep working", async () => {
    const user = await signup("logout");
    const other = await login(user.email);
    const res = await logout(user.refreshToken);
    expect(res.status).toBe(204);
    expect(res.text).toBe("");
    expectProblem(await refresh(user.refreshToken), 401, "invalid_refresh_token");
    expect(
      await count(
        "select count(*) as n from sessions where id = ? and revoked_reason = 'logout'",
        sessionIdOf(user.accessToken),
      ),
    ).toBe(1);
    expect((await refresh(other.body.refresh_token)).status).toBe(200);
  });

  it("logging out with a rotated (older) token of a session ends the session", async () => {
    const user = await signup("logoutold");
    const rotated = await refresh(user.refreshToken);
    expect(rotated.status).toBe(200);
    expect((await logout(user.refreshToken)).status).toBe(204);
    expectProblem(await refresh(rotated.body.refresh_token), 401, "invalid_refresh_token");
  });

  it("an unknown token is also 204 and changes nothing", async () => {
    const before = await tableCounts();
    const res = await logout("y".repeat(43));
    expect(res.status).toBe(204);
    expect(await tableCounts()).toEqual(before);
  });

  it("logging out twice is 204 both times", async () => {
    const user = await signup("logout2");
    expect((await logout(user.refreshToken)).status).toBe(204);
    expect((await logout(user.refreshToken)).status).toBe(204);
  });
});

describe("POST /v1/auth/logout-all", () => {
  it("204 and every refresh token of the user fails; other users are untouched", async () => {
    const user = await signup("logoutall");
    const a = await login(user.email);
    const b = await login(user.email);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    const bystander = await signup("bystander");

    const res = await api("POST", "/v1/auth/logout-all", { token: a.body.access_token });
    expect(res.status).toBe(204);

    for (const token of [user.refreshToken, a.body.refresh_token, b.body.refresh_token]) {
      expectProblem(await refresh(token), 401, "invalid_refresh_token");
    }
    expect(
      await count(
        "select count(*) as n from sessions where user_id = ? and revoked_at is null",
        user.id,
      ),
    ).toBe(0);
    expect((await refresh(bystander.refreshToken)).status).toBe(200);
  });

  it("without a token is 401 unauthorized with a WWW-Authenticate challenge", async () => {
    const res = await api("POST", "/v1/auth/logout-all");
    expectProblem(res, 401, "unauthorized");
    expect(res.headers.get("www-authenticate") ?? "").toMatch(/^Bearer/);
  });

  it("with a garbage token is 401 invalid_token", async () => {
    const user = await signup("logoutallbad");
    expectProblem(
      await api("POST", "/v1/auth/logout-all", { token: "garbage" }),
      401,
      "invalid_token",
    );
    expect((await refresh(user.refreshToken)).status).toBe(200);
  });
});

// ---------------------------------------------------------------------------------------------
// Password reset
// ---------------------------------------------------------------------------------------------

describe("password reset", () => {
  it("forgot: 202 for a known email, which gets one password_reset email", async () => {
    const user = await signup("forgot");
    const res = await forgot(user.email);
    expect(res.status).toBe(202);
    expect(await countOutbox(user.email, "password_reset")).toBe(1);
    const row = await env.DB.prepare(
      "select user_id, status, text_body from email_outbox where to_address = ? and template = 'password_reset'",
    )
      .bind(user.email)
      .first<{ user_id: string; status: string; text_body: string }>();
    expect(row?.user_id).toBe(user.id);
    expect(row?.text_body).toMatch(/https:\/\/app\.test\/reset-password\?token=/);
    const token = await mailedToken(user.email, "password_reset");
    expect(token.length).toBeGreaterThanOrEqual(40);
  });

  it("forgot: 202 for an unknown email, and nothing is written", async () => {
    const email = uniqueEmail("ghost");
    const before = await tableCounts();
    const res = await forgot(email);
    expect(res.status).toBe(202);
    expect(await tableCounts()).toEqual(before);
    expect(await countOutbox(email, "password_reset")).toBe(0);
  });

  it("forgot: known and unknown emails get the same answer", async () => {
    const user = await signup("forgotsame");
    const known = await forgot(user.email);
    const unknown = await forgot(uniqueEmail("ghost2"));
    expect(known.status).toBe(unknown.status);
    expect(known.text).toBe(unknown.text);
  });

  it("forgot: the email is matched case-insensitively", async () => {
    const user = await signup("forgotcase");
    expect((await forgot(user.email.toUpperCase())).status).toBe(202);
    expect(await countOutbox(user.email, "password_reset")).toBe(1);
  });

  it("forgot: a disabled user gets 202 but no email", async () => {
    const user = await signup("forgotdisabled");
    await setUserStatus(user.id, "disabled");
    expect((await forgot(user.email)).status).toBe(202);
    expect(await countOutbox(user.email, "password_reset")).toBe(0);
  });

  it("reset: 204; old password fails, new works, every old refresh token fails", async () => {
    const user = await signup("reset");
    const second = await login(user.email);
    expect(second.status).toBe(200);
    await forgot(user.email);
    const token = await mailedToken(user.email, "password_reset");
    const newPassword = "a brand new password";

    const res = await reset(token, newPassword);
    expect(res.status).toBe(204);
    expect(res.text).toBe("");

    expectProblem(await login(user.email), 401, "invalid_credentials");
    const fresh = await login(user.email, newPassword);
    expect(fresh.status).toBe(200);
    expectProblem(await refresh(user.refreshToken), 401, "invalid_refresh_token");
    expectProblem(await refresh(second.body.refresh_token), 401, "invalid_refresh_token");
    // The session opened after the reset works.
    expect((await refresh(fresh.body.refresh_token)).status).toBe(200);
  });

  it("reset: the token is single-use", async () => {
    const user = await signup("reset1x");
    await forgot(user.email);
    const token = await mailedToken(user.email, "password_reset");
    expect((await reset(token, "first new password")).status).toBe(204);
    expectProblem(await reset(token, "second new password"), 400, "invalid_or_expired_token");
    expect((await login(user.email, "first new password")).status).toBe(200);
    expectProblem(await login(user.email, "second new password"), 401, "invalid_credentials");
  });

  it("reset: the token expires after 1 hour", async () => {
    const user = await signup("resetexp");
    const start = Date.now();
    vi.setSystemTime(start);
    expect((await forgot(user.email)).status).toBe(202);
    const token = await mailedToken(user.email, "password_reset");
    vi.setSystemTime(start + 61 * MINUTE);
    expectProblem(await reset(token, "too late password"), 400, "invalid_or_expired_token");
    vi.useRealTimers();
    expect((await login(user.email)).status).toBe(200);
  });

  it("reset: the token still works 59 minutes after the request", async () => {
    const user = await signup("resetintime");
    const start = Date.now();
    vi.setSystemTime(start);
    expect((await forgot(user.email)).status).toBe(202);
    const token = await mailedToken(user.email, "password_reset");
    vi.setSystemTime(start + 59 * MINUTE);
    expect((await reset(token, "just in time password")).status).toBe(204);
    expect((await login(user.email, "just in time password")).status).toBe(200);
  });

  it("reset: a newer forgot supersedes the older token", async () => {
    const user = await signup("supersede");
    await forgot(user.email);
    const older = await mailedToken(user.email, "password_reset");
    await forgot(user.email);
    const newer = await mailedToken(user.email, "password_reset");
    expect(newer).not.toBe(older);
    expect(await countOutbox(user.email, "password_reset")).toBe(2);
    expectProblem(await reset(older, "older token password"), 400, "invalid_or_expired_token");
    expect((await login(user.email)).status).toBe(200);
    expect((await reset(newer, "newer token password")).status).toBe(204);
    expect((await login(user.email, "newer token password")).status).toBe(200);
  });

  it("reset: two concurrent uses of one token: one 204, and only its password is set", async () => {
    const user = await signup("resetrace");
    await forgot(user.email);
    const token = await mailedToken(user.email, "password_reset");
    const passwords = ["racer number one pw", "racer number two pw"];
    const results = await Promise.all(passwords.map((p) => reset(token, p)));
    expect(results.map((r) => r.status).sort()).toEqual([204, 400]);
    const winner = results[0]?.status === 204 ? 0 : 1;
    const loserResult = results[1 - winner];
    if (loserResult) expectProblem(loserResult, 400, "invalid_or_expired_token");
    expect((await login(user.email, passwords[winner] ?? "")).status).toBe(200);
    expectProblem(await login(user.email, passwords[1 - winner] ?? ""), 401, "invalid_credentials");
  });

  it("reset: an unknown token is 400 invalid_or_expired_token", async () => {
    expectProblem(
      await reset("z".repeat(43), "whatever password"),
      400,
      "invalid_or_expired_token",
    );
  });

  it("reset: a verify_email token cannot reset the password", async () => {
    const user = await signup("wrongpurpose");
    const verifyToken = await mailedToken(user.email, "verify_email");
    expectProblem(await reset(verifyToken, "hijacked password"), 400, "invalid_or_expired_token");
    expect((await login(user.email)).status).toBe(200);
    // And the verify token was not spent by the attempt.
    expect((await verifyEmail(verifyToken)).status).toBe(204);
  });

  it("reset: a too-short new password is 400 and does not spend the token", async () => {
    const user = await signup("resetshort");
    await forgot(user.email);
    const token = await mailedToken(user.email, "password_reset");
    const res = await reset(token, "short");
    expectFieldErrors(expectProblem(res, 400, "invalid_request"), ["password"]);
    expect((await login(user.email)).status).toBe(200);
    expect((await reset(token, "long enough password")).status).toBe(204);
  });
});

// ---------------------------------------------------------------------------------------------
// Email verification
// ---------------------------------------------------------------------------------------------

describe("email verification", () => {
  it("verify: 204, /v1/me shows email_verified, and the token cannot be reused", async () => {
    const user = await signup("verify");
    expect((await me(user.accessToken)).body.email_verified).toBe(false);
    const token = await mailedToken(user.email, "verify_email");

    const res = await verifyEmail(token);
    expect(res.status).toBe(204);
    expect(res.text).toBe("");

    const profile = await me(user.accessToken);
    expect(profile.status).toBe(200);
    expect(profile.body.email_verified).toBe(true);
    expect(profile.body.role).toBe("user");
    expect(
      await count(
        "select count(*) as n from users where id = ? and email_verified_at is not null",
        user.id,
      ),
    ).toBe(1);

    expectProblem(await verifyEmail(token), 400, "invalid_or_expired_token");
    // Refresh and login also report the verified state.
    expect((await refresh(user.refreshToken)).body.user.email_verified).toBe(true);
  });

  it("verify: an unknown token is 400", async () => {
    expectProblem(await verifyEmail("q".repeat(43)), 400, "invalid_or_expired_token");
  });

  it("verify: a password_reset token cannot verify the email", async () => {
    const user = await signup("verifypurpose");
    await forgot(user.email);
    const resetToken = await mailedToken(user.email, "password_reset");
    expectProblem(await verifyEmail(resetToken), 400, "invalid_or_expired_token");
    expect((await me(user.accessToken)).body.email_verified).toBe(false);
  });

  it("verify: the token expires after 24 hours", async () => {
    const start = Date.now();
    vi.setSystemTime(start);
    const user = await signup("verifyexp");
    const token = await mailedToken(user.email, "verify_email");
    vi.setSystemTime(start + 25 * HOUR);
    expectProblem(await verifyEmail(token), 400, "invalid_or_expired_token");
    vi.useRealTimers();
    expect(
      await count(
        "select count(*) as n from users where id = ? and email_verified_at is null",
        user.id,
      ),
    ).toBe(1);
  });

  it("verify: the token still works after 23 hours (control for expiry)", async () => {
    const start = Date.now();
    vi.setSystemTime(start);
    const user = await signup("verifyalive");
    const token = await mailedToken(user.email, "verify_email");
    vi.setSystemTime(start + 23 * HOUR);
    expect((await verifyEmail(token)).status).toBe(204);
  });

  it("verify: two concurrent uses of one token: one 204, one 400", async () => {
    const user = await signup("verifyrace");
    const token = await mailedToken(user.email, "verify_email");
    const results = await Promise.all([verifyEmail(token), verifyEmail(token)]);
    expect(results.map((r) => r.status).sort()).toEqual([204, 400]);
  });

  it("resend: 202, writes a new verify email, and the old token no longer works", async () => {
    const user = await signup("resend");
    const old = await mailedToken(user.email, "verify_email");
    const res = await api("POST", "/v1/auth/email/resend", { token: user.accessToken });
    expect(res.status).toBe(202);
    expect(await countOutbox(user.email, "verify_email")).toBe(2);
    const fresh = await mailedToken(user.email, "verify_email");
    expect(fresh).not.toBe(old);

    expectProblem(await verifyEmail(old), 400, "invalid_or_expired_token");
    expect((await me(user.accessToken)).body.email_verified).toBe(false);
    expect((await verifyEmail(fresh)).status).toBe(204);
    expect((await me(user.accessToken)).body.email_verified).toBe(true);
  });

  it("resend: once verified it is 202 and sends nothing", async () => {
    const user = await signup("resendverified");
    expect((await verifyEmail(await mailedToken(user.email, "verify_email"))).status).toBe(204);
    const res = await api("POST", "/v1/auth/email/resend", { token: user.accessToken });
    expect(res.status).toBe(202);
    expect(await countOutbox(user.email, "verify_email")).toBe(1);
  });

  it("resend: without a token is 401 unauthorized", async () => {
    expectProblem(await api("POST", "/v1/auth/email/resend"), 401, "unauthorized");
  });

  it("the ADMIN_EMAILS address becomes admin once verified", async () => {
    const res = await post<AuthBody>("/v1/auth/signup", { email: ADMIN_EMAIL, password: PASSWORD });
    expect(res.status).toBe(201);
    // Not before the address is proven.
    expect(res.body.user.role).toBe("user");
    expect(decodeJwt(res.body.access_token).role).toBe("user");
    expect((await me(res.body.access_token)).body.role).toBe("user");

    const token = await mailedToken(ADMIN_EMAIL, "verify_email");
    expect((await verifyEmail(token)).status).toBe(204);

    const profile = await me(res.body.access_token);
    expect(profile.status).toBe(200);
    expect(profile.body).toMatchObject({ role: "admin", email_verified: true });

    const refreshed = await refresh(res.body.refresh_token);
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.user.role).toBe("admin");
    expect(decodeJwt(refreshed.body.access_token).role).toBe("admin");
  });
});

// ---------------------------------------------------------------------------------------------
// Access tokens
// ---------------------------------------------------------------------------------------------

describe("access tokens", () => {
  it("are HS256 JWTs with kid, iss, aud, sub, role, sid and a 15 minute lifetime", async () => {
    const user = await signup("jwt");
    const header = decodeProtectedHeader(user.accessToken);
    expect(header).toMatchObject({ alg: "HS256", kid: "test-2" });
    const claims = decodeJwt(user.accessToken);
    expect(claims).toMatchObject({
      iss: "tollgate",
      aud: "tollgate-api",
      sub: user.id,
      role: "user",
      sid: expect.stringMatching(/^ses_/),
    });
    expect(typeof claims.iat).toBe("number");
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(900);
    expect(Math.abs((claims.iat ?? 0) - Date.now() / 1000)).toBeLessThan(60);
    // The signature is the current key's.
    const forged = await forgeToken(user, {
      iatSeconds: claims.iat ?? 0,
      expSeconds: claims.exp ?? 0,
    });
    expect(forged.split(".")[2]).toBe(user.accessToken.split(".")[2]);
  });

  it("a correctly forged token with the current key is accepted (control)", async () => {
    const user = await signup("control");
    const res = await me(await forgeToken(user));
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(user.id);
  });

  it("missing token: 401 unauthorized", async () => {
    const res = await me();
    expectProblem(res, 401, "unauthorized");
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="tollgate"');
  });

  it("a non-Bearer Authorization header is 401 unauthorized", async () => {
    const user = await signup("basic");
    const res = await api("GET", "/v1/me", {
      headers: { authorization: `Basic ${user.accessToken}` },
    });
    expectProblem(res, 401, "unauthorized");
  });

  it("garbage token: 401 invalid_token", async () => {
    const res = await me("garbage");
    expectProblem(res, 401, "invalid_token");
    expect(res.headers.get("www-authenticate") ?? "").toContain('error="invalid_token"');
  });

  it("tampered payload (one character changed): 401 invalid_token", async () => {
    const user = await signup("tamper");
    expectProblem(await me(flipChar(user.accessToken, 1)), 401, "invalid_token");
  });

  it("payload re-encoded with role admin, old signature kept: 401 invalid_token", async () => {
    const user = await signup("escalate");
    const [header, payload, signature] = user.accessToken.split(".");
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload ?? "")));
    const tampered = `${header}.${encodeSegment({ ...claims, role: "admin" })}.${signature}`;
    expectProblem(await me(tampered), 401, "invalid_token");
  });

  it("tampered signature: 401 invalid_token", async () => {
    const user = await signup("tampersig");
    expectProblem(await me(flipChar(user.accessToken, 2)), 401, "invalid_token");
  });

  it("expired (16 minutes later): 401 invalid_token; 14 minutes later still valid", async () => {
    const start = Date.now();
    vi.setSystemTime(start);
    const user = await signup("expiry");
    vi.setSystemTime(start + 14 * MINUTE);
    expect((await me(user.accessToken)).status).toBe(200);
    vi.setSystemTime(start + 16 * MINUTE);
    expectProblem(await me(user.accessToken), 401, "invalid_token");
    // The refresh token still gets a new, working access token.
    const refreshed = await refresh(user.refreshToken);
    expect(refreshed.status).toBe(200);
    expect((await me(refreshed.body.access_token)).status).toBe(200);
  });

  it.each<[string, ForgeOptions]>([
    ["wrong audience", { aud: "someone-else" }],
    ["no audience", { aud: undefined }],
    ["wrong issuer", { iss: "evil" }],
    ["no issuer", { iss: undefined }],
    ["unknown kid", { kid: "test-9" }],
    ["no kid", { kid: undefined }],
    ["wrong secret for the kid", { secret: "some-other-signing-key-0123456789abcdef" }],
    ["previous kid with the current key's secret", { kid: "test-1" }],
    ["HS512 with the right key", { alg: "HS512" }],
    ["HS384 with the right key", { alg: "HS384" }],
    ["unknown role", { role: "superuser" }],
    ["no role", { role: undefined }],
    ["no sid", { sid: undefined }],
    ["numeric sid", { sid: 42 }],
    ["no sub", { sub: undefined }],
    [
      "already expired",
      {
        iatSeconds: Math.floor(Date.now() / 1000) - 3600,
        expSeconds: Math.floor(Date.now() / 1000) - 60,
      },
    ],
  ])("%s: 401 invalid_token", async (_label, options) => {
    const user = await signup("forged");
    expectProblem(await me(await forgeToken(user, options)), 401, "invalid_token");
  });

  it("alg none: 401 invalid_token", async () => {
    const user = await signup("algnone");
    const claims = decodeJwt(user.accessToken);
    const token = `${encodeSegment({ alg: "none", typ: "JWT", kid: "test-2" })}.${encodeSegment(claims)}.`;
    expectProblem(await me(token), 401, "invalid_token");
    const withoutKid = `${encodeSegment({ alg: "none", typ: "JWT" })}.${encodeSegment(claims)}.`;
    expectProblem(await me(withoutKid), 401, "invalid_token");
  });

  it("a token signed with the previous key (kid test-1) is still accepted", async () => {
    const user = await signup("rotation");
    const token = await forgeToken(user, {
      kid: KEY_PREVIOUS.kid,
      secret: KEY_PREVIOUS.secret,
    });
    const res = await me(token);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: user.id, email: user.email });
  });

  it("a disabled user's still-valid access token gets 403 account_disabled on /v1/me", async () => {
    const user = await signup("medisabled");
    await setUserStatus(user.id, "disabled");
    expectProblem(await me(user.accessToken), 403, "account_disabled");
  });
});

// ---------------------------------------------------------------------------------------------
// Ending a session also ends its (still unexpired) access tokens
// ---------------------------------------------------------------------------------------------

describe("ended sessions' access tokens stop working at once", () => {
  it("logout: that session's access token is refused; another session's still works", async () => {
    const user = await signup("endlogout");
    const other = await login(user.email);
    expect((await me(user.accessToken)).status).toBe(200);
    expect((await logout(user.refreshToken)).status).toBe(204);
    expectProblem(await me(user.accessToken), 401, "invalid_token");
    expect((await me(other.body.access_token)).status).toBe(200);
  });

  it("logout-all: every access token of the user is refused, the caller's too", async () => {
    const user = await signup("endall");
    const other = await login(user.email);
    expect((await api("POST", "/v1/auth/logout-all", { token: user.accessToken })).status).toBe(
      204,
    );
    expectProblem(await me(user.accessToken), 401, "invalid_token");
    expectProblem(await me(other.body.access_token), 401, "invalid_token");
    expect((await me((await login(user.email)).body.access_token)).status).toBe(200);
  });

  it("refresh token reuse: the family's access tokens are refused", async () => {
    const user = await signup("endreuse");
    const rotated = await refresh(user.refreshToken);
    expect(rotated.status).toBe(200);
    expect((await me(rotated.body.access_token)).status).toBe(200);
    expectProblem(await refresh(user.refreshToken), 401, "invalid_refresh_token");
    expectProblem(await me(rotated.body.access_token), 401, "invalid_token");
    expectProblem(await me(user.accessToken), 401, "invalid_token");
  });

  it("password reset: every earlier access token is refused", async () => {
    const user = await signup("endreset");
    const other = await login(user.email);
    await forgot(user.email);
    const token = await mailedToken(user.email, "password_reset");
    expect((await reset(token, "reset ends sessions")).status).toBe(204);
    expectProblem(await me(user.accessToken), 401, "invalid_token");
    expectProblem(await me(other.body.access_token), 401, "invalid_token");
    const fresh = await login(user.email, "reset ends sessions");
    expect((await me(fresh.body.access_token)).status).toBe(200);
  });
});

// ---------------------------------------------------------------------------------------------
// Bad input on every route with a body
// ---------------------------------------------------------------------------------------------

interface BodyRoute {
  path: string;
  /** A valid body; the email (when the route takes one) is the one checked for writes. */
  valid: (email: string) => Record<string, unknown>;
  /** Every required field. */
  required: string[];
  /** The same fields with the wrong JSON types. */
  wrongTypes: Record<string, unknown>;
}

const TOKEN = "t".repeat(43);

const BODY_ROUTES: BodyRoute[] = [
  {
    path: "/v1/auth/signup",
    valid: (email) => ({ email, password: PASSWORD, name: "Bad Input" }),
    required: ["email", "password"],
    wrongTypes: { email: 42, password: 12345678, name: ["x"] },
  },
  {
    path: "/v1/auth/login",
    valid: (email) => ({ email, password: PASSWORD }),
    required: ["email", "password"],
    wrongTypes: { email: true, password: 12345678 },
  },
  {
    path: "/v1/auth/refresh",
    valid: () => ({ refresh_token: TOKEN }),
    required: ["refresh_token"],
    wrongTypes: { refresh_token: 1234567890123456 },
  },
  {
    path: "/v1/auth/logout",
    valid: () => ({ refresh_token: TOKEN }),
    required: ["refresh_token"],
    wrongTypes: { refresh_token: { token: TOKEN } },
  },
  {
    path: "/v1/auth/password/forgot",
    valid: (email) => ({ email }),
    required: ["email"],
    wrongTypes: { email: ["a@example.test"] },
  },
  {
    path: "/v1/auth/password/reset",
    valid: () => ({ token: TOKEN, password: PASSWORD }),
    required: ["token", "password"],
    wrongTypes: { token: null, password: false },
  },
  {
    path: "/v1/auth/email/verify",
    valid: () => ({ token: TOKEN }),
    required: ["token"],
    wrongTypes: { token: 42 },
  },
];

describe.each(BODY_ROUTES)("bad input on POST $path", (route) => {
  /** Runs a rejected request and checks that nothing at all was written. */
  async function rejected(
    send: (email: string) => Promise<ApiResponse<unknown>>,
    status: number,
    code: string,
  ): Promise<ProblemBody> {
    const email = uniqueEmail("badinput");
    const before = await tableCounts();
    const res = await send(email);
    const problem = expectProblem(res, status, code);
    expect(problem.instance).toBe(route.path);
    expect(typeof problem.request_id).toBe("string");
    expect(await countUsersWithEmail(email)).toBe(0);
    expect(await count("select count(*) as n from email_outbox where to_address = ?", email)).toBe(
      0,
    );
    expect(await tableCounts()).toEqual(before);
    return problem;
  }

  it("the valid body passes validation (control)", async () => {
    const email = uniqueEmail("control");
    const res = await post<ProblemBody | null>(route.path, route.valid(email));
    expect([413, 415]).not.toContain(res.status);
    // Routes taking a made-up token answer 400 invalid_or_expired_token, never a validation error.
    expect(["invalid_request", "malformed_json"]).not.toContain(res.body?.code);
  });

  it("malformed JSON: 400 malformed_json", async () => {
    await rejected(
      () =>
        api("POST", route.path, {
          rawBody: "{bad",
          headers: { "content-type": "application/json" },
        }),
      400,
      "malformed_json",
    );
  });

  it("truncated JSON of a valid body: 400 malformed_json", async () => {
    await rejected(
      (email) =>
        api("POST", route.path, {
          rawBody: JSON.stringify(route.valid(email)).slice(0, -1),
          headers: { "content-type": "application/json; charset=utf-8" },
        }),
      400,
      "malformed_json",
    );
  });

  it("empty object: 400 invalid_request naming every required field", async () => {
    const problem = await rejected(() => post(route.path, {}), 400, "invalid_request");
    expectFieldErrors(problem, route.required);
  });

  it("each required field missing: 400 invalid_request naming it", async () => {
    for (const field of route.required) {
      const problem = await rejected(
        (email) => {
          const body = route.valid(email);
          delete body[field];
          return post(route.path, body);
        },
        400,
        "invalid_request",
      );
      expectFieldErrors(problem, [field]);
    }
  });

  it("wrong types: 400 invalid_request naming each field", async () => {
    const problem = await rejected(
      (email) => post(route.path, { ...route.valid(email), ...route.wrongTypes }),
      400,
      "invalid_request",
    );
    expectFieldErrors(problem, Object.keys(route.wrongTypes));
  });

  it.each([
    ["an array", []],
    ["null", null],
    ["a string", "hello"],
  ])("a JSON body that is %s: 400 invalid_request", async (_label, body) => {
    const problem = await rejected(
      () =>
        api("POST", route.path, {
          rawBody: JSON.stringify(body),
          headers: { "content-type": "application/json" },
        }),
      400,
      "invalid_request",
    );
    expectFieldErrors(problem);
  });

  it("unknown keys: 400 invalid_request", async () => {
    const problem = await rejected(
      (email) => post(route.path, { ...route.valid(email), is_admin: true }),
      400,
      "invalid_request",
    );
    expectFieldErrors(problem);
    expect(JSON.stringify(problem.errors)).toContain("is_admin");
  });

  it("no Content-Type (a string body, sent as text/plain): 415", async () => {
    await rejected(
      (email) => api("POST", route.path, { rawBody: JSON.stringify(route.valid(email)) }),
      415,
      "unsupported_media_type",
    );
  });

  it("no Content-Type header at all: 415", async () => {
    await rejected(
      (email) => requestWithoutContentType(route.path, JSON.stringify(route.valid(email))),
      415,
      "unsupported_media_type",
    );
  });

  it.each(["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"])(
    "Content-Type %s: 415",
    async (contentType) => {
      await rejected(
        (email) =>
          api("POST", route.path, {
            rawBody: JSON.stringify(route.valid(email)),
            headers: { "content-type": contentType },
          }),
        415,
        "unsupported_media_type",
      );
    },
  );

  it("a body larger than 64 KiB: 413 payload_too_large", async () => {
    await rejected(
      (email) => post(route.path, { ...route.valid(email), padding: "p".repeat(64 * 1024 + 1) }),
      413,
      "payload_too_large",
    );
  });

  it("a body of exactly 64 KiB is not 413 (the limit is 64 KiB, not less)", async () => {
    const email = uniqueEmail("almost");
    const base = JSON.stringify({ ...route.valid(email), padding: "" });
    const body = { ...route.valid(email), padding: "p".repeat(64 * 1024 - base.length) };
    expect(new TextEncoder().encode(JSON.stringify(body)).length).toBe(64 * 1024);
    // It is rejected for the unknown key, not for its size.
    expectProblem(await post(route.path, body), 400, "invalid_request");
    expect(await countUsersWithEmail(email)).toBe(0);
  });
});
