import { createRoute } from "@hono/zod-openapi";
import { apiKeyRoutes } from "../auth/api-key-routes";
import { requireAuth } from "../auth/middleware";
import { profileOf } from "../auth/serialize";
import { UserSettingsSchema } from "../db/user-settings";
import { newRouter, principalOf, serviceContext } from "../lib/context";
import { bearerSecurity, errorResponses, jsonBody, jsonContent } from "../lib/openapi";
import { deviceRoutes } from "../notifications/device-routes";
import { entitlementRoutes, meteredQuota } from "../plans/entitlements";
import { routeCost } from "../ratelimit/middleware";
import { exportUser } from "./export";
import { ChangePasswordBody, DeleteMeBody, ExportSchema, MeSchema, PatchMeBody } from "./schemas";
import * as users from "./service";
import { usageRoutes } from "./usage-routes";

const tags = ["me"];
const security = bearerSecurity;

export const meRoutes = newRouter();
// An export reads everything the user has: it costs as much as ten ordinary calls.
meRoutes.use("/export", routeCost(10));
meRoutes.use("*", requireAuth);
// Exports are also a metered quota of the plan (`exports`), counted after authentication.
meRoutes.use("/export", meteredQuota("exports"));

meRoutes.openapi(
  createRoute({
    method: "get",
    path: "/",
    operationId: "me.get",
    tags,
    security,
    summary: "The current user, with their plan",
    responses: { 200: jsonContent(MeSchema, "The current user"), ...errorResponses(403) },
  }),
  async (c) => {
    const user = await users.loadSelf(c.var.db, principalOf(c).userId);
    return c.json({ ...profileOf(user), ...(await users.billingSummary(c.var.db, user.id)) }, 200);
  },
);

meRoutes.openapi(
  createRoute({
    method: "patch",
    path: "/",
    operationId: "me.update",
    tags,
    security,
    summary: "Update name, locale or time zone (null clears)",
    request: { body: jsonBody(PatchMeBody) },
    responses: {
      200: jsonContent(MeSchema, "The updated user"),
      ...errorResponses(403),
    },
  }),
  async (c) => {
    const user = await users.updateProfile(
      serviceContext(c),
      principalOf(c).userId,
      c.req.valid("json"),
    );
    return c.json({ ...profileOf(user), ...(await users.billingSummary(c.var.db, user.id)) }, 200);
  },
);

meRoutes.openapi(
  createRoute({
    method: "get",
    path: "/settings",
    operationId: "me.settings.get",
    tags,
    security,
    summary: "Preferences, every key with its value or default",
    responses: {
      200: jsonContent(UserSettingsSchema, "The settings"),
      ...errorResponses(403),
    },
  }),
  async (c) => {
    const user = await users.loadSelf(c.var.db, principalOf(c).userId);
    return c.json(UserSettingsSchema.parse(user.settings), 200);
  },
);

meRoutes.openapi(
  createRoute({
    method: "put",
    path: "/settings",
    operationId: "me.settings.update",
    tags,
    security,
    summary: "Replace the preferences (omitted keys return to their defaults)",
    request: { body: jsonBody(UserSettingsSchema) },
    responses: {
      200: jsonContent(UserSettingsSchema, "The stored settings"),
      ...errorResponses(403),
    },
  }),
  async (c) => {
    const saved = await users.replaceSettings(
      serviceContext(c),
      principalOf(c).userId,
      c.req.valid("json"),
    );
    return c.json(saved, 200);
  },
);

meRoutes.openapi(
  createRoute({
    method: "post",
    path: "/password",
    operationId: "me.password.change",
    tags,
    security,
    summary: "Change the password (ends the user's other sessions)",
    request: { body: jsonBody(ChangePasswordBody) },
    responses: { 204: { description: "Changed" }, ...errorResponses(403) },
  }),
  async (c) => {
    const { userId, sessionId } = principalOf(c);
    const body = c.req.valid("json");
    await users.changePassword(
      serviceContext(c),
      userId,
      sessionId,
      body.current_password,
      body.new_password,
    );
    return c.body(null, 204);
  },
);

meRoutes.openapi(
  createRoute({
    method: "get",
    path: "/export",
    operationId: "me.export.get",
    tags,
    security,
    summary: "Everything stored about the current user, as JSON",
    description:
      "Sections: user, settings, subscriptions, payments, api_keys (metadata), usage (hourly and daily), coupon_redemptions, sessions (metadata), emails (without bodies), audit (administrators' actions on the account). No password, key or token hash is ever included.",
    responses: { 200: jsonContent(ExportSchema, "The export"), ...errorResponses(403) },
  }),
  async (c) => {
    const data = await exportUser(serviceContext(c), principalOf(c).userId);
    c.header("content-disposition", 'attachment; filename="tollgate-export.json"');
    return c.json(data, 200);
  },
);

meRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/",
    operationId: "me.delete",
    tags,
    security,
    summary: "Delete the account (password required); its subscriptions are canceled at once",
    description:
      "Every live Stripe or PayPal subscription is canceled at the provider first, immediately (not at the period end). If a provider refuses or cannot be reached the answer is 502 and nothing is deleted.",
    request: { body: jsonBody(DeleteMeBody) },
    responses: { 204: { description: "Deleted" }, ...errorResponses(403, 502, 503) },
  }),
  async (c) => {
    await users.deleteAccount(
      serviceContext(c),
      principalOf(c).userId,
      c.req.valid("json").password,
    );
    return c.body(null, 204);
  },
);

meRoutes.route("/api-keys", apiKeyRoutes);
meRoutes.route("/devices", deviceRoutes);
meRoutes.route("/entitlements", entitlementRoutes);
meRoutes.route("/usage", usageRoutes);
