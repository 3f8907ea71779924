import { createRoute, z } from "@hono/zod-openapi";
import { CHANNELS } from "../db/schema";
import { newRouter, principalOf, serviceContext } from "../lib/context";
import { bearerSecurity, jsonBody, jsonContent } from "../lib/openapi";
import { startBroadcast } from "./broadcast";

const BroadcastBody = z
  .strictObject({
    user_ids: z
      .array(z.string().regex(/^usr_[0-9a-z]+$/, "notifications.validation.user_id"))
      .min(1)
      .max(1000)
      .optional()
      .openapi({ description: "These users (the active ones among them)" }),
    plan: z.string().min(1).max(64).optional().openapi({
      description:
        "A plan's id or code: its subscribers (the free plan: everyone without a paid one)",
    }),
    title: z.string().trim().min(1).max(200),
    body: z.string().trim().min(1).max(5000),
    channels: z.array(z.enum(CHANNELS)).min(1).max(CHANNELS.length),
  })
  .refine((b) => b.user_ids === undefined || b.plan === undefined, {
    message: "notifications.validation.one_audience",
    path: ["plan"],
  })
  .openapi("BroadcastRequest");

const BroadcastAccepted = z
  .object({
    id: z.string().openapi({ example: "brd_0f3k2m9q8r7s6t5v4w3x2y1z0a" }),
    recipients: z.number().int().min(0),
  })
  .openapi("BroadcastAccepted");

export const adminNotificationRoutes = newRouter();

adminNotificationRoutes.openapi(
  createRoute({
    method: "post",
    path: "/",
    operationId: "admin.notifications.broadcast",
    tags: ["admin"],
    security: bearerSecurity,
    summary: "Notify many users (named ones, a plan's, or everyone); fanned out from a queue",
    description:
      "Answers at once with the number of active users the audience holds; the queue notifies them a page at a time (type `broadcast`, each user's preferences applied, once per user however often a page is retried). Audit-logged.",
    request: { body: jsonBody(BroadcastBody) },
    responses: { 202: jsonContent(BroadcastAccepted, "Accepted: being sent") },
  }),
  async (c) => {
    const accepted = await startBroadcast(
      serviceContext(c),
      principalOf(c).userId,
      c.req.valid("json"),
    );
    return c.json(accepted, 202);
  },
);
