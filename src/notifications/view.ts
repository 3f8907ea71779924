import { z } from "@hono/zod-openapi";
import { NOTIFICATION_TYPES, type Notification } from "../db/schema/notifications";
import { iso } from "../lib/time";

export const NotificationSchema = z
  .object({
    id: z.string().openapi({ example: "ntf_0f3k2m9q8r7s6t5v4w3x2y1z0a" }),
    type: z.enum(NOTIFICATION_TYPES),
    title: z.string(),
    body: z.string(),
    data: z.record(z.string(), z.unknown()),
    read_at: z.iso.datetime().nullable(),
    created_at: z.iso.datetime(),
  })
  .openapi("Notification");

export type NotificationView = z.infer<typeof NotificationSchema>;

type Shown = Pick<Notification, "id" | "type" | "title" | "body" | "data" | "readAt" | "createdAt">;

export function notificationView(row: Shown): NotificationView {
  return {
    id: row.id,
    type: row.type,
    title: row.title,
    body: row.body,
    data: row.data,
    read_at: iso(row.readAt),
    created_at: iso(row.createdAt),
  };
}
