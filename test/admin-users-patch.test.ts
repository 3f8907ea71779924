// Changing a user as an admin: disabling ends every session at once, roles take effect as
// D1 says, an admin cannot change themselves, and deleted accounts stay as they are.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  type AdminUser,
  auditRows,
  jwtClaims,
  listAudit,
  listUsers,
  patchUser,
  refresh,
  userRow,
} from "./admin-helpers";
import { api, count, expectProblem, login, PASSWORD, signup, signupAdmin } from "./helpers";

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
