import { createRoute, z } from "@hono/zod-openapi";
import { requireAuth } from "../auth/middleware";
import { newRouter, principalOf, serviceContext } from "../lib/context";
import { bearerSecurity, errorResponses, jsonBody, jsonContent } from "../lib/openapi";
import { cancelReminder, createReminder, listReminders, reminderView } from "./reminders";
import { CreateReminderBody, ReminderIdParam, ReminderSchema, RemindersQuery } from "./schemas";

const tags = ["reminders"];
const security = bearerSecurity;

export const reminderRoutes = newRouter();
reminderRoutes.use("*", requireAuth);

reminderRoutes.openapi(
  createRoute({
    method: "post",
    path: "/",
    operationId: "reminders.create",
    tags,
    security,
    summary: "Set a reminder, delivered at remind_at",
    request: { body: jsonBody(CreateReminderBody) },
    responses: { 201: jsonContent(ReminderSchema, "The new reminder") },
  }),
  async (c) => {
    const row = await createReminder(serviceContext(c), principalOf(c).userId, c.req.valid("json"));
    return c.json(reminderView(row), 201);
  },
);

reminderRoutes.openapi(
  createRoute({
    method: "get",
    path: "/",
    operationId: "reminders.list",
    tags,
    security,
    summary: "Your reminders, latest remind_at first, optionally of one status",
    request: { query: RemindersQuery },
    responses: {
      200: jsonContent(
        z
          .object({ data: z.array(ReminderSchema), next_cursor: z.string().nullable() })
          .openapi("ReminderList"),
        "A page of reminders",
      ),
    },
  }),
  async (c) => {
    const page = await listReminders(
      serviceContext(c),
      principalOf(c).userId,
      c.req.valid("query"),
    );
    return c.json({ data: page.items.map(reminderView), next_cursor: page.next_cursor }, 200);
  },
);

reminderRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/{id}",
    operationId: "reminders.delete",
    tags,
    security,
    summary: "Cancel a pending reminder (it stays listed as canceled)",
    request: { params: ReminderIdParam },
    responses: { 204: { description: "Canceled" }, ...errorResponses(404, 409) },
  }),
  async (c) => {
    await cancelReminder(serviceContext(c), principalOf(c).userId, c.req.valid("param").id);
    return c.body(null, 204);
  },
);
