// Changing one's password, POST /v1/me/password: the current password checked, the caller's
// session kept and the others ended.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { me as getMe, refresh } from "./auth-helpers";
import { api, count, expectProblem, login, PASSWORD, signup } from "./helpers";
import { userRow } from "./users-helpers";

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
