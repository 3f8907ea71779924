import { createRoute, z } from "@hono/zod-openapi";
import { PAID_PROVIDERS, WEBHOOK_EVENT_STATUSES } from "../db/schema";
import { newRouter, principalOf, serviceContext } from "../lib/context";
import { bearerSecurity, errorResponses, jsonContent } from "../lib/openapi";
import { PageQuery } from "../lib/pagination";
import { afterResponse } from "../lib/request";
import { listWebhookEvents, markForReplay, webhookEventView } from "./admin-service";

const security = bearerSecurity;

const EventSchema = z
  .object({
    id: z.string(),
    provider: z.enum(PAID_PROVIDERS),
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

export const adminWebhookRoutes = newRouter();

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
        provider: z.enum(PAID_PROVIDERS).optional(),
      }),
    },
    responses: {
      200: jsonContent(
        z.object({ data: z.array(EventSchema), next_cursor: z.string().nullable() }),
        "A page",
      ),
    },
  }),
  async (c) => c.json(await listWebhookEvents(c.var.db, c.req.valid("query")), 200),
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
      ...errorResponses(404),
    },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const event = await markForReplay(serviceContext(c), principalOf(c).userId, id);
    afterResponse(c, "webhook replay enqueue", c.env.WEBHOOK_EVENTS.send({ event_id: id }));
    return c.json(webhookEventView(event), 202);
  },
);
