import { adminAnalyticsRoutes, adminDashboardRoutes } from "../analytics/routes";
import { requireAdmin, requireAuth } from "../auth/middleware";
import { adminCouponRoutes } from "../coupons/admin-routes";
import { adminJobRoutes } from "../cron/admin-routes";
import { newRouter } from "../lib/context";
import { adminNotificationRoutes } from "../notifications/admin-routes";
import { adminPaymentRoutes } from "../payments/routes";
import { adminPlanRoutes } from "../plans/admin-routes";
import { adminWebhookRoutes } from "../webhooks/admin-routes";
import { adminUserRoutes } from "./user-routes";

/**
 * /v1/admin: the one router every admin route hangs from. It authenticates, counts the request
 * once and checks the admin in D1 once; the routers mounted here carry no auth of their own.
 */
export const adminRouter = newRouter();
adminRouter.use("*", requireAuth, requireAdmin);
adminRouter.route("/", adminUserRoutes);
adminRouter.route("/plans", adminPlanRoutes);
adminRouter.route("/coupons", adminCouponRoutes);
adminRouter.route("/payments", adminPaymentRoutes);
adminRouter.route("/webhook-events", adminWebhookRoutes);
adminRouter.route("/jobs", adminJobRoutes);
adminRouter.route("/analytics", adminAnalyticsRoutes);
adminRouter.route("/dashboard", adminDashboardRoutes);
adminRouter.route("/notifications", adminNotificationRoutes);
