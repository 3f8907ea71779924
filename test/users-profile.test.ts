// The caller's own profile: GET /v1/me (the free plan, verification, the tokens it refuses) and
// PATCH /v1/me (name, locale, time zone: only the fields sent, validated, strict).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { signAccessToken } from "../src/auth/tokens";
import { loadConfig } from "../src/env";
import { expectFieldErrors, me as getMe } from "./auth-helpers";
import { api, expectProblem, mailedToken, PASSWORD, signup, uniqueEmail } from "./helpers";
import { ISO, patchMe, userRow } from "./users-helpers";

/** A genuine access token (signed with the configured key) with chosen claims and clock. */
function forgeAccessToken(
  claims: { sub: string; role: "user" | "admin"; sid: string },
  nowMs = Date.now(),
) {
  return signAccessToken(loadConfig(env), claims, nowMs);
}

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
        "phone",
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

describe("PATCH /v1/me", () => {
  it("updates name, locale and time zone and returns the full profile", async () => {
    const user = await signup();
    const before = await userRow(user.id);
    const res = await patchMe(user.accessToken, {
      name: "Grace Hopper",
      locale: "es",
      timezone: "Europe/Paris",
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      id: user.id,
      email: user.email,
      name: "Grace Hopper",
      locale: "es",
      timezone: "Europe/Paris",
      role: "user",
      plan: { code: "free" },
    });

    const again = await getMe(user.accessToken);
    expect(again.body).toMatchObject({
      name: "Grace Hopper",
      locale: "es",
      timezone: "Europe/Paris",
    });
    const row = await userRow(user.id);
    expect(row).toMatchObject({ name: "Grace Hopper", locale: "es", timezone: "Europe/Paris" });
    expect(row.updated_at).toBeGreaterThanOrEqual(before.updated_at);
    expect(row.role).toBe("user");
    expect(row.email).toBe(user.email);
  });

  it("changes only the fields sent", async () => {
    const user = await signup();
    await patchMe(user.accessToken, { name: "First", locale: "en", timezone: "Asia/Tokyo" });
    const res = await patchMe(user.accessToken, { timezone: "America/New_York" });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      name: "First",
      locale: "en",
      timezone: "America/New_York",
    });
  });

  it("clears fields sent as null", async () => {
    const user = await signup();
    await patchMe(user.accessToken, { name: "Someone", locale: "es", timezone: "UTC" });
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

  it("rejects a locale the API does not answer in with errors[].path = locale", async () => {
    const user = await signup();
    for (const locale of ["not a locale!!", "fr", "es-MX", "EN"]) {
      const problem = expectProblem(
        await patchMe(user.accessToken, { locale }),
        400,
        "invalid_request",
      );
      expectFieldErrors(problem, ["locale"]);
    }
    expect((await userRow(user.id)).locale).toBeNull();
  });

  it("rejects an invalid time zone with errors[].path = timezone", async () => {
    const user = await signup();
    const problem = expectProblem(
      await patchMe(user.accessToken, { name: "Kept?", timezone: "Mars/Base" }),
      400,
      "invalid_request",
    );
    expectFieldErrors(problem, ["timezone"]);
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
      expectFieldErrors(problem, ["name"]);
    }
    const problem = expectProblem(
      await patchMe(user.accessToken, { locale: 12 }),
      400,
      "invalid_request",
    );
    expectFieldErrors(problem, ["locale"]);
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
