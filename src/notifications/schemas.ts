import { z } from "@hono/zod-openapi";
import { PageQuery } from "../lib/pagination";
import { NotificationSchema } from "./view";

export const NotificationList = z
  .object({ data: z.array(NotificationSchema), next_cursor: z.string().nullable() })
  .openapi("NotificationList");

export const NotificationListQuery = z.object({
  ...PageQuery,
  unread: z
    .enum(["true", "false"])
    .transform((v) => v === "true")
    .optional()
    .openapi({ description: "true: only unread notifications" }),
});

export const NotificationIdParam = z.object({
  id: z
    .string()
    .regex(/^ntf_[0-9a-z]+$/)
    .openapi({ param: { name: "id", in: "path" } }),
});

export const UnreadCount = z
  .object({ count: z.number().int().min(0) })
  .openapi("NotificationUnreadCount");

export const PatchNotificationBody = z
  .strictObject({ read: z.boolean() })
  .openapi("UpdateNotificationRequest");

export const StreamQuery = z.object({
  access_token: z.string().max(4096).optional().openapi({
    description:
      "An access token, for clients that cannot set headers (browsers' WebSocket); or send Authorization: Bearer",
  }),
});
