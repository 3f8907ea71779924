import { createRoute } from "@hono/zod-openapi";
import { requireAuth, requireAuthOrQueryToken } from "../auth/middleware";
import { msg } from "../i18n";
import { newRouter, principalOf, serviceContext } from "../lib/context";
import { ApiError } from "../lib/errors";
import { bearerSecurity, errorResponses, jsonBody, jsonContent } from "../lib/openapi";
import { openStream } from "./hub-client";
import {
  NotificationIdParam,
  NotificationList,
  NotificationListQuery,
  PatchNotificationBody,
  StreamQuery,
  UnreadCount,
} from "./schemas";
import * as service from "./service";
import { NotificationSchema } from "./view";

const tags = ["notifications"];
const security = bearerSecurity;
const STREAM = "/v1/notifications/stream";

export const notificationRoutes = newRouter();
// The stream alone takes its token from the query too (a browser's WebSocket sends no headers).
notificationRoutes.use("*", (c, next) =>
  c.req.path === STREAM ? requireAuthOrQueryToken(c, next) : requireAuth(c, next),
);

notificationRoutes.openapi(
  createRoute({
    method: "get",
    path: "/",
    operationId: "notifications.list",
    tags,
    security,
    summary: "Your notifications, newest first (only unread ones with ?unread=true)",
    request: { query: NotificationListQuery },
    responses: { 200: jsonContent(NotificationList, "A page of notifications") },
  }),
  async (c) => {
    const query = c.req.valid("query");
    const page = await service.listNotifications(c.var.db, principalOf(c).userId, {
      ...query,
      unread: query.unread ?? false,
    });
    return c.json(page, 200);
  },
);

notificationRoutes.openapi(
  createRoute({
    method: "get",
    path: "/unread-count",
    operationId: "notifications.unreadCount.get",
    tags,
    security,
    summary: "How many of your notifications are unread",
    responses: { 200: jsonContent(UnreadCount, "The count") },
  }),
  async (c) => c.json({ count: await service.unreadCount(c.var.db, principalOf(c).userId) }, 200),
);

notificationRoutes.openapi(
  createRoute({
    method: "get",
    path: "/stream",
    operationId: "notifications.stream",
    tags,
    security,
    summary: "A WebSocket that receives each new notification as it is stored",
    description:
      'Upgrade with `Upgrade: websocket`; authenticate with `Authorization: Bearer <access token>` or `?access_token=` (browsers cannot set headers on a WebSocket). API keys are refused. Each message is `{"type": "notification", "notification": {…}}`; send `ping` to get `pong`. The socket closes with code 4001 when the access token expires: reconnect with a fresh one.',
    request: { query: StreamQuery },
    responses: {
      101: { description: "Switching to the WebSocket protocol" },
      ...errorResponses(426),
    },
  }),
  async (c) => {
    const principal = principalOf(c);
    if (principal.expiresAt === null) {
      throw new ApiError("invalid_token", msg("notifications.problems.stream_needs_access_token"));
    }
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      throw new ApiError("upgrade_required", msg("notifications.problems.send_upgrade"), {
        headers: { upgrade: "websocket" },
      });
    }
    await service.recordStream(c.var.db, principal.userId, principal.expiresAt);
    return openStream(c.env, principal.userId, c.req.raw, principal.expiresAt);
  },
);

notificationRoutes.openapi(
  createRoute({
    method: "patch",
    path: "/{id}",
    operationId: "notifications.update",
    tags,
    security,
    summary: "Mark a notification read or unread",
    request: { params: NotificationIdParam, body: jsonBody(PatchNotificationBody) },
    responses: {
      200: jsonContent(NotificationSchema, "The notification"),
      ...errorResponses(404),
    },
  }),
  async (c) => {
    const view = await service.setRead(
      serviceContext(c),
      principalOf(c).userId,
      c.req.valid("param").id,
      c.req.valid("json").read,
    );
    return c.json(view, 200);
  },
);

notificationRoutes.openapi(
  createRoute({
    method: "post",
    path: "/read-all",
    operationId: "notifications.readAll",
    tags,
    security,
    summary: "Mark all your notifications read",
    responses: { 204: { description: "Done" } },
  }),
  async (c) => {
    await service.readAll(serviceContext(c), principalOf(c).userId);
    return c.body(null, 204);
  },
);

notificationRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/{id}",
    operationId: "notifications.delete",
    tags,
    security,
    summary: "Remove a notification from your list",
    request: { params: NotificationIdParam },
    responses: { 204: { description: "Removed" }, ...errorResponses(404) },
  }),
  async (c) => {
    await service.removeNotification(c.var.db, principalOf(c).userId, c.req.valid("param").id);
    return c.body(null, 204);
  },
);

notificationRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/",
    operationId: "notifications.deleteAll",
    tags,
    security,
    summary: "Remove all your notifications from your list",
    responses: { 204: { description: "Cleared" } },
  }),
  async (c) => {
    await service.clearNotifications(c.var.db, principalOf(c).userId);
    return c.body(null, 204);
  },
);
