// Deleting one's account, DELETE /v1/me: the password checked; credentials, tokens and personal
// data gone; the email free again; other users untouched.
import { describe, expect, it } from "vitest";
import { me as getMe, refresh } from "./auth-helpers";
import { createEvent, createReminder } from "./events-helpers";
import { api, count, expectProblem, login, PASSWORD, signup, type TestUser } from "./helpers";
import {
  CUSTOM_SETTINGS,
  DEFAULT_SETTINGS,
  getSettings,
  patchMe,
  putSettings,
  sessionIdsOf,
  userRow,
} from "./users-helpers";

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
      events: await count("select count(*) as n from events where user_id = ?", userId),
      reminders: await count("select count(*) as n from reminders where user_id = ?", userId),
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
      locale: "es",
      timezone: "Europe/London",
    });
    await putSettings(user.accessToken, CUSTOM_SETTINGS);
    const second = await login(user.email);
    expect(second.status).toBe(200);
    // A pending password reset: an auth token and an email of a second kind.
    await api("POST", "/v1/auth/password/forgot", { body: { email: user.email } });
    await createEvent(user);
    await createReminder(user, { remind_at: "2032-03-02T00:00:00Z" });

    const sessionIds = await sessionIdsOf(user.id);
    const rowsBefore = await rowsOf(user.id, sessionIds);
    expect(rowsBefore.sessions).toBe(2);
    expect(rowsBefore.refreshTokens).toBe(2);
    expect(rowsBefore.authTokens).toBe(2);
    expect(rowsBefore.outbox).toBe(2);
    expect(rowsBefore.events).toBe(1);
    expect(rowsBefore.reminders).toBe(1);
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
      events: 0,
      reminders: 0,
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
