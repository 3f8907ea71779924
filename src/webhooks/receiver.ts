import { createRoute, z } from "@hono/zod-openapi";
import { PAID_PROVIDERS, webhookEvents } from "../db/schema";
import { newRouter } from "../lib/context";
import { newId } from "../lib/ids";
import { errorResponses, jsonContent } from "../lib/openapi";
import { afterResponse } from "../lib/request";
import { WEBHOOKS } from "./registry";

export const webhookRoutes = newRouter();

/**
 * Verify the signature over the raw body, store the event once (unique on provider + event id)
 * and queue it only when it is new — then answer 200 at once. No provider API call is made
 * here beyond what signature verification needs; applying the event is the queue's job.
 */
webhookRoutes.openapi(
  createRoute({
    method: "post",
    path: "/{provider}",
    operationId: "webhooks.receive",
    tags: ["webhooks"],
    summary: "Receive a Stripe or PayPal webhook (signature-verified, stored, queued)",
    request: {
      params: z.object({
        provider: z.enum(PAID_PROVIDERS).openapi({ param: { name: "provider", in: "path" } }),
      }),
    },
    responses: {
      200: jsonContent(z.object({ received: z.literal(true), duplicate: z.boolean() }), "Stored"),
      ...errorResponses(413),
    },
  }),
  async (c) => {
    const hooks = WEBHOOKS[c.req.valid("param").provider];
    const raw = await c.req.text();
    const verified = await hooks.verifier.verify(c.req.raw, raw, c.var.config, c.var.now);
    const id = newId("evt");
    const inserted = await c.var.db
      .insert(webhookEvents)
      .values({
        id,
        provider: hooks.provider,
        providerEventId: verified.providerEventId,
        type: verified.type,
        occurredAt: verified.occurredAt,
        payload: raw,
        receivedAt: c.var.now,
      })
      .onConflictDoNothing()
      .returning({ id: webhookEvents.id });
    // Queued after answering: the provider waits for nothing but the insert. A lost send leaves
    // the event pending, and the cron sweep queues it again.
    if (inserted.length > 0)
      afterResponse(c, "webhook enqueue", c.env.WEBHOOK_EVENTS.send({ event_id: id }));
    return c.json({ received: true as const, duplicate: inserted.length === 0 }, 200);
  },
);
