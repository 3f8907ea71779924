// Email verification: verify (single-use, expiring tokens of the right purpose), resend, and
// the ADMIN_EMAILS address promoted once verified.
import { decodeJwt } from "jose";
import { describe, expect, it, vi } from "vitest";
import {
  type AuthBody,
  countOutbox,
  forgot,
  HOUR,
  me,
  post,
  refresh,
  verifyEmail,
} from "./auth-helpers";
import { api, count, expectProblem, mailedToken, PASSWORD, signup } from "./helpers";

const ADMIN_EMAIL = "root@tollgate.test";

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
