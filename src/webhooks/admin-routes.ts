import { createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq } from "drizzle-orm";
import { auditInsert } from "../admin/audit";
import { requireAdmin, requireAuth } from "../auth/middleware";
import { WEBHOOK_EVENT_STATUSES, webhookEvents } from "../db/schema";
import { newRouter, principalOf } from "../lib/context";
import { notFound } from "../lib/errors";
import { bearerSecurity, errorResponses, jsonContent } from "../lib/openapi";
import { afterCursor, decodeCursor, PageQuery, page } from "../lib/pagination";
import { afterResponse } from "../lib/request";
import { iso } from "../lib/time";

const security = bearerSecurity;

const EventSchema = z
  .object({
    id: z.string(),
    provider: z.enum(["stripe", "paypal"]),
    provider_event_id: z.string(),
    type: z.string(),
    status: z.enum(WEBHOOK_EVENT_STATUSES),
    attempts: z.number().int(),
    last_error: z.string().nullable(),
    occurred_at: z.iso.datetime(),
    received_at: z.iso.datetime(),
    processed_at: z.iso.datetime().nullable(),
  })
  .openapi("WebhookEvent");

type EventRow = typeof webhookEvents.$inferSelect;
const view = (e: EventRow) => ({
  id: e.id,
  provider: e.provider,
  provider_event_id: e.providerEventId,
  type: e.type,
  status: e.status,
  attempts: e.attempts,
  last_error: e.lastError,
  occurred_at: iso(e.occurredAt),
  received_at: iso(e.receivedAt),
  processed_at: iso(e.processedAt),
});

export const adminWebhookRoutes = newRouter();
adminWebhookRoutes.use("*", requireAuth, requireAdmin);

adminWebhookRoutes.openapi(
  createRoute({
    method: "get",
    path: "/",
    operationId: "admin.webhookEvents.list",
    tags: ["admin"],
    security,
    summary: "Stored provider events, newest first, optionally by status",
    request: {
      query: z.object({
        ...PageQuery,
        status: z.enum(WEBHOOK_EVENT_STATUSES).optional(),
        provider: z.enum(["stripe", "paypal"]).optional(),
      }),
    },
    responses: {
      200: jsonContent(
        z.object({ data: z.array(EventSchema), next_cursor: z.string().nullable() }),
        "A page",
      ),
      ...errorResponses(400, 401, 403, 429),
    },
  }),
  async (c) => {
    const query = c.req.valid("query");
    const cursor = decodeCursor(query.cursor);
    const rows = await c.var.db
      .select()
      .from(webhookEvents)
      .where(
        and(
          afterCursor(cursor, webhookEvents.receivedAt, webhookEvents.id),
          query.status ? eq(webhookEvents.status, query.status) : undefined,
          query.provider ? eq(webhookEvents.provider, query.provider) : undefined,
        ),
      )
      .orderBy(desc(webhookEvents.receivedAt), desc(webhookEvents.id))
      .limit(query.limit + 1);
    const { items, nextCursor } = page(
      rows.map((r) => ({ ...r, createdAt: r.receivedAt })),
      query.limit,
    );
    return c.json({ data: items.map(view), next_cursor: nextCursor }, 200);
  },
);

adminWebhookRoutes.openapi(
  createRoute({
    method: "post",
    path: "/{id}/replay",
    operationId: "admin.webhookEvents.replay",
    tags: ["admin"],
    security,
    summary: "Queue a stored event to be applied again (handlers are idempotent)",
    request: {
      params: z.object({
        id: z
          .string()
          .regex(/^evt_[0-9a-z]+$/)
          .openapi({ param: { name: "id", in: "path" } }),
      }),
    },
    responses: {
      202: jsonContent(EventSchema, "Queued"),
      ...errorResponses(400, 401, 403, 404, 429),
    },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const db = c.var.db;
    const existing = await db
      .select({ id: webhookEvents.id })
      .from(webhookEvents)
      .where(eq(webhookEvents.id, id))
      .get();
    if (!existing) throw notFound("Webhook event");
    const [updated] = await db.batch([
      db
        .update(webhookEvents)
        .set({ status: "pending", lockedUntil: null, processedAt: null })
        .where(eq(webhookEvents.id, id))
        .returning(),
      auditInsert(
        db,
        {
          actorId: principalOf(c).userId,
          action: "webhook_event.replay",
          targetType: "webhook_event",
          targetId: id,
          data: {},
        },
        c.var.now,
      ),
    ]);
    const event = updated[0];
    if (!event) throw notFound("Webhook event");
    // The replay is saved; a lost send is picked up by the cron sweep of pending events.
    afterResponse(c, "webhook replay enqueue", c.env.WEBHOOK_EVENTS.send({ event_id: id }));
    return c.json(view(event), 202);
  },
);
