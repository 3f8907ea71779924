import { swaggerUI } from "@hono/swagger-ui";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import { adminRoutes } from "./admin/routes";
import { adminAnalyticsRoutes, adminDashboardRoutes } from "./analytics/routes";
import { authRoutes } from "./auth/routes";
import { adminCouponRoutes } from "./coupons/admin-routes";
import { couponRoutes } from "./coupons/routes";
import { adminJobRoutes } from "./cron/admin-routes";
import { newRouter } from "./lib/context";
import { ApiError } from "./lib/errors";
import { requestContext, requestLog } from "./lib/middleware";
import { notFoundHandler } from "./lib/not-found";
import { onError } from "./lib/on-error";
import { requireDeclaredBody } from "./lib/required-body";
import { adminPaymentRoutes, paymentRoutes } from "./payments/routes";
import { adminPlanRoutes } from "./plans/admin-routes";
import { planRoutes } from "./plans/routes";
import { pingRoutes } from "./ratelimit/routes";
import { billingRoutes, subscriptionRoutes } from "./subscriptions/routes";
import { meRoutes } from "./users/routes";
import { adminWebhookRoutes } from "./webhooks/admin-routes";
import { webhookRoutes } from "./webhooks/receiver";

const WEBHOOK_MAX_BYTES = 1024 * 1024;

export function buildApp() {
  const app = newRouter();

  app.use("*", requestId({ headerName: "X-Request-Id" }));
  app.use("*", requestLog);
  app.use("*", requestContext);
  app.use("*", secureHeaders());
  app.use(
    "*",
    cors({
      origin: (origin, c) => (c.var.config.CORS_ORIGINS.includes(origin) ? origin : null),
      allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
      allowHeaders: ["Authorization", "Content-Type", "X-API-Key", "X-Request-Id"],
      exposeHeaders: ["X-Request-Id", "RateLimit", "RateLimit-Policy", "Retry-After"],
      maxAge: 600,
    }),
  );
  app.use("*", (c, next) => {
    // Provider events can be larger than any request a client sends.
    const maxSize = c.req.path.startsWith("/v1/webhooks/")
      ? WEBHOOK_MAX_BYTES
      : c.var.config.MAX_BODY_BYTES;
    return bodyLimit({
      maxSize,
      // The 413 names the limit of the path that refused the body.
      onError: () => {
        throw new ApiError("payload_too_large", `The body may be at most ${maxSize} bytes`);
      },
    })(c, next);
  });

  app.use(
    "*",
    requireDeclaredBody(() => app.openAPIRegistry.definitions),
  );

  app.get("/health", (c) => c.json({ status: "ok" }));

  app.route("/v1/auth", authRoutes);
  app.route("/v1/me", meRoutes);
  app.route("/v1/admin", adminRoutes);
  app.route("/v1/ping", pingRoutes);
  app.route("/v1/webhooks", webhookRoutes);
  app.route("/v1/plans", planRoutes);
  app.route("/v1/coupons", couponRoutes);
  app.route("/v1/subscription", subscriptionRoutes);
  app.route("/v1/billing", billingRoutes);
  app.route("/v1/payments", paymentRoutes);
  app.route("/v1/admin/plans", adminPlanRoutes);
  app.route("/v1/admin/coupons", adminCouponRoutes);
  app.route("/v1/admin/payments", adminPaymentRoutes);
  app.route("/v1/admin/webhook-events", adminWebhookRoutes);
  app.route("/v1/admin/jobs", adminJobRoutes);
  app.route("/v1/admin/analytics", adminAnalyticsRoutes);
  app.route("/v1/admin/dashboard", adminDashboardRoutes);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "An access token from /v1/auth/login, /signup or /refresh",
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "tollgate API",
      version: "1.0.0",
      description:
        "Auth, users, plans, subscriptions and payments. Errors are RFC 9457 problem+json.",
    },
  });
  app.get("/docs", swaggerUI({ url: "/openapi.json" }));

  app.notFound(notFoundHandler(() => app.routes));
  app.onError(onError);
  return app;
}

export const app = buildApp();
