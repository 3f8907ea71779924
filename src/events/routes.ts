import { createRoute, z } from "@hono/zod-openapi";
import { requireAuth } from "../auth/middleware";
import { newRouter, principalOf, serviceContext } from "../lib/context";
import { bearerSecurity, errorResponses, jsonBody, jsonContent } from "../lib/openapi";
import {
  CreateEventBody,
  EventIdParam,
  EventSchema,
  OccurrenceSchema,
  OccurrencesQuery,
  PatchEventBody,
} from "./schemas";
import {
  createEvent,
  deleteEvent,
  eventView,
  getEvent,
  listOccurrences,
  updateEvent,
} from "./service";

const tags = ["events"];
const security = bearerSecurity;

export const eventRoutes = newRouter();
eventRoutes.use("*", requireAuth);

eventRoutes.openapi(
  createRoute({
    method: "post",
    path: "/",
    operationId: "events.create",
    tags,
    security,
    summary: "Create an event, one-off or recurring, with reminders before each occurrence",
    request: { body: jsonBody(CreateEventBody) },
    responses: { 201: jsonContent(EventSchema, "The new event") },
  }),
  async (c) => {
    const row = await createEvent(serviceContext(c), principalOf(c).userId, c.req.valid("json"));
    return c.json(eventView(row), 201);
  },
);

eventRoutes.openapi(
  createRoute({
    method: "get",
    path: "/",
    operationId: "events.list",
    tags,
    security,
    summary: "The occurrences of your events in a range, recurrences expanded in each event's zone",
    request: { query: OccurrencesQuery },
    responses: {
      200: jsonContent(
        z
          .object({ data: z.array(OccurrenceSchema), next_cursor: z.string().nullable() })
          .openapi("EventOccurrenceList"),
        "A page of occurrences, in order of start",
      ),
    },
  }),
  async (c) =>
    c.json(
      await listOccurrences(serviceContext(c), principalOf(c).userId, c.req.valid("query")),
      200,
    ),
);

eventRoutes.openapi(
  createRoute({
    method: "get",
    path: "/{id}",
    operationId: "events.get",
    tags,
    security,
    summary: "One of your events",
    request: { params: EventIdParam },
    responses: { 200: jsonContent(EventSchema, "The event"), ...errorResponses(404) },
  }),
  async (c) => {
    const row = await getEvent(serviceContext(c), principalOf(c).userId, c.req.valid("param").id);
    return c.json(eventView(row), 200);
  },
);

eventRoutes.openapi(
  createRoute({
    method: "patch",
    path: "/{id}",
    operationId: "events.update",
    tags,
    security,
    summary: "Change an event (null clears a field); what it delivers is re-planned from now",
    request: { params: EventIdParam, body: jsonBody(PatchEventBody) },
    responses: { 200: jsonContent(EventSchema, "The event"), ...errorResponses(404) },
  }),
  async (c) => {
    const row = await updateEvent(
      serviceContext(c),
      principalOf(c).userId,
      c.req.valid("param").id,
      c.req.valid("json"),
    );
    return c.json(eventView(row), 200);
  },
);

eventRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/{id}",
    operationId: "events.delete",
    tags,
    security,
    summary: "Delete an event; nothing more of it is delivered",
    request: { params: EventIdParam },
    responses: { 204: { description: "Deleted" }, ...errorResponses(404) },
  }),
  async (c) => {
    await deleteEvent(serviceContext(c), principalOf(c).userId, c.req.valid("param").id);
    return c.body(null, 204);
  },
);
