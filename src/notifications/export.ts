import { z } from "@hono/zod-openapi";
import { asc, desc, eq } from "drizzle-orm";
import type { Db } from "../db";
import {
  DELIVERY_CHANNELS,
  DELIVERY_STATUSES,
  type Notification,
  type NotificationDeliveryRow,
  notificationDeliveries,
  notifications,
} from "../db/schema";
import { iso } from "../lib/time";
import { NotificationSchema } from "./view";

// The notifications section of the user's export (GET /v1/me/export).

export const ExportedNotifications = z
  .array(
    NotificationSchema.extend({
      listed: z.boolean().openapi({ description: "Whether it is in the in-app list" }),
      deliveries: z.array(
        z.object({
          channel: z.enum(DELIVERY_CHANNELS),
          status: z.enum(DELIVERY_STATUSES),
          attempts: z.number().int(),
          last_error: z.string().nullable(),
          created_at: z.iso.datetime(),
          updated_at: z.iso.datetime(),
        }),
      ),
    }),
  )
  .openapi({ description: "Every notification kept, with each delivery's status, newest first" });

/** The two reads, for the export's one batch: the notifications, then their deliveries. */
export function notificationExportQueries(db: Db, userId: string) {
  return [
    db
      .select()
      .from(notifications)
      .where(eq(notifications.userId, userId))
      .orderBy(desc(notifications.createdAt), desc(notifications.id)),
    db
      .select()
      .from(notificationDeliveries)
      .where(eq(notificationDeliveries.userId, userId))
      .orderBy(asc(notificationDeliveries.createdAt), asc(notificationDeliveries.channel)),
  ] as const;
}

export function exportedNotifications(
  rows: Notification[],
  deliveries: NotificationDeliveryRow[],
): z.infer<typeof ExportedNotifications> {
  // Grouped once: a filter per notification would be quadratic for a long history.
  const byNotification = new Map<string, NotificationDeliveryRow[]>();
  for (const d of deliveries) {
    const list = byNotification.get(d.notificationId);
    if (list) list.push(d);
    else byNotification.set(d.notificationId, [d]);
  }
  return rows.map((n) => ({
    id: n.id,
    type: n.type,
    title: n.title,
    body: n.body,
    data: n.data,
    read_at: iso(n.readAt),
    created_at: iso(n.createdAt),
    listed: n.inApp,
    deliveries: (byNotification.get(n.id) ?? []).map((d) => ({
      channel: d.channel,
      status: d.status,
      attempts: d.attempts,
      last_error: d.lastError,
      created_at: iso(d.createdAt),
      updated_at: iso(d.updatedAt),
    })),
  }));
}
