// The caller's data export, GET /v1/me/export: everything of theirs (admin actions included),
// never a secret, nothing of another user.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, expectProblem, login, mailedToken, signup, signupAdmin } from "./helpers";
import {
  CUSTOM_SETTINGS,
  ISO,
  type Json,
  patchMe,
  putSettings,
  sessionIdsOf,
  userRow,
} from "./users-helpers";

describe("GET /v1/me/export", () => {
  it("exports user, settings, sessions, emails and audit as a JSON attachment", async () => {
    const user = await signup();
    await login(user.email);
    await patchMe(user.accessToken, { name: "Exported", locale: "es" });
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
      locale: "es",
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
