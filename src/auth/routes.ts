import { createRoute } from "@hono/zod-openapi";
import { enqueueEmails } from "../email/outbox";
import { preferredLocale } from "../i18n";
import { newRouter, principalOf, serviceContext } from "../lib/context";
import { ApiError } from "../lib/errors";
import { bearerSecurity, errorResponses, jsonBody, jsonContent } from "../lib/openapi";
import { afterResponse, clientMeta } from "../lib/request";
import { ATTEMPT_RULES, emailSubject, refundAttempt, takeAttempt } from "../ratelimit/brute-force";
import { userSubject } from "../ratelimit/client";
import { limitByIp } from "../ratelimit/middleware";
import { requireAuth } from "./middleware";
import {
  AuthResponseSchema,
  ForgotBody,
  LoginBody,
  RefreshBody,
  ResetBody,
  SignupBody,
  VerifyEmailBody,
} from "./schemas";
import { publicUser } from "./serialize";
import * as auth from "./service";
import { revokeAllSessions, revokeByRefreshToken } from "./sessions";

const tags = ["auth"];
const noContent = { 204: { description: "Done" } } as const;
const accepted = { 202: { description: "Accepted" } } as const;

export const authRoutes = newRouter();

// Anonymous auth routes are limited per client IP; the authenticated ones per user.
for (const path of [
  "/signup",
  "/login",
  "/refresh",
  "/logout",
  "/password/forgot",
  "/password/reset",
  "/email/verify",
]) {
  authRoutes.use(path, limitByIp);
}

authRoutes.openapi(
  createRoute({
    method: "post",
    path: "/signup",
    operationId: "auth.signup",
    tags,
    summary: "Create an account and a session",
    request: { body: jsonBody(SignupBody) },
    responses: {
      201: jsonContent(AuthResponseSchema, "The new user and their tokens"),
      ...errorResponses(409, 429),
    },
  }),
  async (c) => {
    const body = c.req.valid("json");
    await takeAttempt(c.env, await emailSubject(body.email), ATTEMPT_RULES.signup, c.var.now);
    const { user, outboxIds, ...tokens } = await auth.signup(
      serviceContext(c),
      body,
      clientMeta(c),
      {
        locale: preferredLocale(c.req.header("accept-language")),
        request: c.var.locale,
      },
    );
    afterResponse(c, "verification email enqueue", enqueueEmails(c.env, outboxIds));
    return c.json({ user: publicUser(user), ...tokens }, 201);
  },
);

authRoutes.openapi(
  createRoute({
    method: "post",
    path: "/login",
    operationId: "auth.login",
    tags,
    summary: "Log in with email and password",
    request: { body: jsonBody(LoginBody) },
    responses: {
      200: jsonContent(AuthResponseSchema, "The user and a new session's tokens"),
      ...errorResponses(401, 403, 429),
    },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const target = await emailSubject(body.email);
    await takeAttempt(c.env, target, ATTEMPT_RULES.loginFailures, c.var.now);
    let failed = true;
    try {
      const { user, ...tokens } = await auth.login(serviceContext(c), body, clientMeta(c));
      failed = false;
      return c.json({ user: publicUser(user), ...tokens }, 200);
    } catch (error) {
      failed = error instanceof ApiError && error.code === "invalid_credentials";
      throw error;
    } finally {
      // Only a wrong password keeps its attempt.
      if (!failed) await refundAttempt(c.env, target, ATTEMPT_RULES.loginFailures, c.var.now);
    }
  },
);

authRoutes.openapi(
  createRoute({
    method: "post",
    path: "/refresh",
    operationId: "auth.refresh",
    tags,
    summary: "Trade a refresh token for new tokens (the refresh token rotates)",
    request: { body: jsonBody(RefreshBody) },
    responses: {
      200: jsonContent(AuthResponseSchema, "New tokens"),
      ...errorResponses(401, 429),
    },
  }),
  async (c) => {
    const { refresh_token } = c.req.valid("json");
    const { user, ...tokens } = await auth.refresh(serviceContext(c), refresh_token);
    return c.json({ user: publicUser(user), ...tokens }, 200);
  },
);

authRoutes.openapi(
  createRoute({
    method: "post",
    path: "/logout",
    operationId: "auth.logout",
    tags,
    summary: "End the session a refresh token belongs to",
    request: { body: jsonBody(RefreshBody) },
    responses: { ...noContent, ...errorResponses(429) },
  }),
  async (c) => {
    await revokeByRefreshToken(serviceContext(c), c.req.valid("json").refresh_token);
    return c.body(null, 204);
  },
);

authRoutes.use("/logout-all", requireAuth);
authRoutes.openapi(
  createRoute({
    method: "post",
    path: "/logout-all",
    operationId: "auth.logoutAll",
    tags,
    summary: "End every session of the current user",
    security: bearerSecurity,
    responses: { ...noContent, ...errorResponses(403) },
  }),
  async (c) => {
    const { userId } = principalOf(c);
    await revokeAllSessions(serviceContext(c), userId, "logout_all");
    return c.body(null, 204);
  },
);

authRoutes.openapi(
  createRoute({
    method: "post",
    path: "/password/forgot",
    operationId: "auth.password.forgot",
    tags,
    summary: "Mail a password reset link (202 whether or not the email is registered)",
    request: { body: jsonBody(ForgotBody) },
    responses: { ...accepted, ...errorResponses(429) },
  }),
  async (c) => {
    const { email } = c.req.valid("json");
    await takeAttempt(c.env, await emailSubject(email), ATTEMPT_RULES.passwordForgot, c.var.now);
    // The look-up and the writes happen after the answer, so its timing says nothing about
    // whether the email is registered.
    const work = auth
      .forgotPassword(serviceContext(c), email, c.var.locale)
      .then((ids) => enqueueEmails(c.env, ids));
    afterResponse(c, "password reset email", work);
    return c.body(null, 202);
  },
);

authRoutes.openapi(
  createRoute({
    method: "post",
    path: "/password/reset",
    operationId: "auth.password.reset",
    tags,
    summary: "Set a new password with a mailed token (ends every session)",
    request: { body: jsonBody(ResetBody) },
    responses: { ...noContent, ...errorResponses(429) },
  }),
  async (c) => {
    const { token, password } = c.req.valid("json");
    await auth.resetPassword(serviceContext(c), token, password);
    return c.body(null, 204);
  },
);

authRoutes.openapi(
  createRoute({
    method: "post",
    path: "/email/verify",
    operationId: "auth.email.verify",
    tags,
    summary: "Confirm the email address with a mailed token",
    request: { body: jsonBody(VerifyEmailBody) },
    responses: { ...noContent, ...errorResponses(429) },
  }),
  async (c) => {
    await auth.verifyEmail(serviceContext(c), c.req.valid("json").token);
    return c.body(null, 204);
  },
);

authRoutes.use("/email/resend", requireAuth);
authRoutes.openapi(
  createRoute({
    method: "post",
    path: "/email/resend",
    operationId: "auth.email.resend",
    tags,
    summary: "Mail a new verification link (no-op once verified)",
    security: bearerSecurity,
    responses: { ...accepted, ...errorResponses(403) },
  }),
  async (c) => {
    const { userId } = principalOf(c);
    await takeAttempt(c.env, userSubject(userId), ATTEMPT_RULES.emailResend, c.var.now);
    const ids = await auth.resendVerification(serviceContext(c), userId, c.var.locale);
    afterResponse(c, "verification email enqueue", enqueueEmails(c.env, ids));
    return c.body(null, 202);
  },
);
