import { createRoute, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { adminRouter } from "./admin/router";
import { authRoutes } from "./auth/routes";
import { couponRoutes } from "./coupons/routes";
import { docsPage } from "./docs";
import { reminderRoutes } from "./events/reminder-routes";
import { eventRoutes } from "./events/routes";
import { msg } from "./i18n";
import { newRouter } from "./lib/context";
import { ApiError } from "./lib/errors";
import { requestScope } from "./lib/middleware";
import { notFoundHandler } from "./lib/not-found";
import { onError } from "./lib/on-error";
import { errorResponses, jsonContent, ProblemSchema, withCommonProblems } from "./lib/openapi";
import { requireDeclaredBody } from "./lib/required-body";
import { notificationRoutes } from "./notifications/routes";
import { paymentRoutes } from "./payments/routes";
import { planRoutes } from "./plans/routes";
import { openWhenSuspended } from "./ratelimit/middleware";
import { billingRoutes, subscriptionRoutes } from "./subscriptions/routes";
import { meRoutes } from "./users/routes";
import { pingRoutes } from "./users/usage-routes";
import { webhookRoutes } from "./webhooks/receiver";

const WEBHOOK_MAX_BYTES = 1024 * 1024;

/** Every tag an operation uses, in the order the docs show them (a test keeps it complete). */
const TAGS = [
  { name: "health", description: "Whether the service is up and its configuration valid" },
  {
    name: "auth",
    description: "Sign-up, login, token refresh, logout, password reset, email verification",
  },
  {
    name: "me",
    description:
      "The signed-in user: profile, settings, password, export, entitlements, usage, ping",
  },
  { name: "api keys", description: "The signed-in user's API keys (shown once, revocable)" },
  { name: "devices", description: "The signed-in user's devices, where push notifications go" },
  { name: "plans", description: "The plans on sale, their prices, limits and features" },
  { name: "billing", description: "Prices before checkout: coupon validation" },
  {
    name: "subscription",
    description:
      "The signed-in user's subscription: checkout, plan changes, cancel, resume, portal",
  },
  { name: "payments", description: "The signed-in user's payments" },
  {
    name: "notifications",
    description: "The signed-in user's notifications: the list, read state, the live stream",
  },
  {
    name: "events",
    description:
      "The signed-in user's calendar: events, recurring in their time zone, with reminders",
  },
  { name: "reminders", description: "The signed-in user's one-off reminders, delivered when due" },
  { name: "webhooks", description: "Events from Stripe and PayPal, verified by their signatures" },
  {
    name: "admin",
    description:
      "Admins only: users, audit, plans, coupons, payments, webhook events, jobs, analytics",
  },
];

const healthRoute = createRoute({
  method: "get",
  path: "/health",
  operationId: "health.get",
  tags: ["health"],
  summary: "Liveness: answers when the Worker runs with a valid configuration",
  responses: {
    200: jsonContent(z.object({ status: z.literal("ok") }).openapi("Health"), "Up"),
    ...errorResponses(500),
  },
});

export function buildApp() {
  const app = newRouter();

  app.use("*", requestScope);
  const crossOrigin = cors({
    origin: (origin, c) => (c.var.config.CORS_ORIGINS.includes(origin) ? origin : null),
    allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
    allowHeaders: ["Authorization", "Content-Type", "X-API-Key", "X-Request-Id"],
    exposeHeaders: ["X-Request-Id", "RateLimit", "RateLimit-Policy", "Retry-After"],
    maxAge: 600,
  });
  app.use("*", (c, next) => {
    // CORS is about browsers, which send Origin; servers calling the API skip it. The answer
    // still varies by origin, for caches.
    if (c.req.header("origin") !== undefined) return crossOrigin(c, next);
    c.header("Vary", "Origin", { append: true });
    return next();
  });
  // Provider events can be larger than any request a client sends. The 413 names the limit of
  // the path that refused the body. One middleware per limit, made once, not per request.
  const bodyLimits = new Map<number, MiddlewareHandler>();
  const limitBodyTo = (maxSize: number) => {
    let limit = bodyLimits.get(maxSize);
    if (!limit) {
      limit = bodyLimit({
        maxSize,
        onError: () => {
          throw new ApiError(
            "payload_too_large",
            msg("problems.payload_too_large.max", { max: maxSize }),
          );
        },
      });
      bodyLimits.set(maxSize, limit);
    }
    return limit;
  };
  app.use("*", (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    const webhook = c.req.path.startsWith("/v1/webhooks/");
    return limitBodyTo(webhook ? WEBHOOK_MAX_BYTES : c.var.config.MAX_BODY_BYTES)(c, next);
  });

  app.use(
    "*",
    requireDeclaredBody(() => app.openAPIRegistry.definitions),
  );

  app.openapi(healthRoute, (c) => c.json({ status: "ok" as const }, 200));

  app.route("/v1/auth", authRoutes);
  app.route("/v1/me", meRoutes);
  app.route("/v1/admin", adminRouter);
  app.route("/v1/ping", pingRoutes);
  app.route("/v1/webhooks", webhookRoutes);
  app.route("/v1/plans", planRoutes);
  app.route("/v1/coupons", couponRoutes);
  app.route("/v1/subscription", subscriptionRoutes);
  app.route("/v1/billing", billingRoutes);
  app.route("/v1/payments", paymentRoutes);
  app.route("/v1/events", eventRoutes);
  app.route("/v1/reminders", reminderRoutes);
  app.route("/v1/notifications", notificationRoutes);

  // Referenced by the problems withCommonProblems adds to the document.
  app.openAPIRegistry.register("Problem", ProblemSchema);
  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description:
      "An access token from /v1/auth/login, /signup or /refresh, or an API key (tgk_…; also accepted as X-API-Key)",
  });
  // Built on the first request, not at startup, and kept: routes do not change while running.
  let document: ReturnType<typeof app.getOpenAPI31Document> | undefined;
  app.get("/openapi.json", (c) => {
    document ??= withCommonProblems(
      app.getOpenAPI31Document({
        openapi: "3.1.0",
        info: {
          title: "tollgate API",
          version: "1.0.0",
          description:
            "Auth, users, plans, subscriptions and payments. Errors are RFC 9457 problem+json. Answers are in the language of Accept-Language (en, es), else the signed-in user's locale, else English; Content-Language names it. Problem codes never change with the language.",
        },
        tags: TAGS,
      }),
      { openWhenSuspended },
    );
    // The deployment that serves the document, so an SDK generated from it calls that one.
    return c.json({ ...document, servers: [{ url: new URL(c.req.url).origin }] });
  });
  // Not operations of the API, so not in the document: the document itself and its viewer.
  app.get("/docs", docsPage);

  app.notFound(notFoundHandler(() => app.routes));
  app.onError(onError);
  return app;
}

export const app = buildApp();
