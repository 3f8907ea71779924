// The admin analytics and dashboard routes; the reports are computed in reports.ts.
import { createRoute } from "@hono/zod-openapi";
import { newRouter } from "../lib/context";
import { bearerSecurity, jsonContent } from "../lib/openapi";
import { analyticsSummary, dashboard, mrrReport } from "./reports";
import { DashboardSchema, MrrQuery, SeriesSchema, SummaryQuery, SummarySchema } from "./schemas";

const tags = ["admin"];
const security = bearerSecurity;

export const adminAnalyticsRoutes = newRouter();

adminAnalyticsRoutes.openapi(
  createRoute({
    method: "get",
    path: "/summary",
    operationId: "admin.analytics.summary.get",
    tags,
    security,
    summary:
      "Per currency: MRR/ARR at `to`, movements over the range, churn, ARPU, LTV, signups, active users",
    request: { query: SummaryQuery },
    responses: {
      200: jsonContent(SummarySchema, "The summary"),
    },
  }),
  async (c) => c.json(await analyticsSummary(c.var.db, c.req.valid("query"), c.var.now), 200),
);

adminAnalyticsRoutes.openapi(
  createRoute({
    method: "get",
    path: "/mrr",
    operationId: "admin.analytics.mrr.get",
    tags,
    security,
    summary: "The MRR series per currency, with the movements of each day or month",
    request: { query: MrrQuery },
    responses: {
      200: jsonContent(SeriesSchema, "The series"),
    },
  }),
  async (c) => c.json(await mrrReport(c.var.db, c.req.valid("query"), c.var.now), 200),
);

export const adminDashboardRoutes = newRouter();

adminDashboardRoutes.openapi(
  createRoute({
    method: "get",
    path: "/",
    operationId: "admin.dashboard.get",
    tags,
    security,
    summary: "Users, subscribers, the latest MRR per currency and the last 7 days' failures",
    responses: {
      200: jsonContent(DashboardSchema, "The dashboard"),
    },
  }),
  async (c) => c.json(await dashboard(c.var.db, c.var.now), 200),
);
