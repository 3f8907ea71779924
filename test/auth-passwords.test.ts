// Password reset: forgot (the same answer for known and unknown emails) and reset (single-use,
// expiring, superseded tokens; every earlier session ended).
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import {
  countOutbox,
  expectFieldErrors,
  forgot,
  MINUTE,
  refresh,
  reset,
  tableCounts,
  verifyEmail,
} from "./auth-helpers";
import { setUserStatus } from "./fixtures";
import { expectProblem, login, mailedToken, signup, uniqueEmail } from "./helpers";

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
    expect(row?.text_body).toMatch(/https:\/\/app\.test\/account\/reset\?token=/);
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
