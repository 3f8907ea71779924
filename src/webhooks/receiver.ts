import { createRoute, z } from "@hono/zod-openapi";
import { PAID_PROVIDERS } from "../db/schema";
import type { ReceivedEvent } from "../env";
import { newRouter } from "../lib/context";
import { newId } from "../lib/ids";
import { errorResponses, jsonContent } from "../lib/openapi";
import { afterResponse } from "../lib/request";
import { WEBHOOKS } from "./registry";
import { storeReceived } from "./store";

export const webhookRoutes = newRouter();

/**
 * The largest body queued whole. A queue message holds at most 128 KB; the event's other fields
 * and the encoding need some of it. Larger bodies are stored first and queued by id.
 */
const MAX_QUEUED_BODY_BYTES = 100 * 1024;

const encoder = new TextEncoder();

function fitsInMessage(raw: string): boolean {
  // UTF-8 takes at most 3 bytes per UTF-16 unit: most bodies need no encoding to decide.
  if (raw.length * 3 <= MAX_QUEUED_BODY_BYTES) return true;
  return raw.length <= MAX_QUEUED_BODY_BYTES && encoder.encode(raw).length <= MAX_QUEUED_BODY_BYTES;
}

/**
 * Verify the signature over the raw body, then hand the event to the queue and answer 200.
 * Nothing is written on the way in: the queue is durable once `send` resolves, and its consumer
 * stores the event (unique on provider + event id, so a duplicate delivery is dropped there)
 * before applying it. A bad signature is refused before anything is kept; a failed send is a
 * 5xx, which the provider retries. A body too large for a queue message is stored here first.
 */
webhookRoutes.openapi(
  createRoute({
    method: "post",
    path: "/{provider}",
    operationId: "webhooks.receive",
    tags: ["webhooks"],
    summary: "Receive a Stripe or PayPal webhook (signature-verified, then queued)",
    request: {
      params: z.object({
        provider: z.enum(PAID_PROVIDERS).openapi({ param: { name: "provider", in: "path" } }),
      }),
    },
    responses: {
      200: jsonContent(
        z.object({
          received: z.literal(true),
          duplicate: z.boolean().optional().openapi({
            description:
              "Only for bodies over 100 KB, which are stored on receipt; other events are deduplicated when applied",
          }),
        }),
        "Accepted: queued, applied once",
      ),
      ...errorResponses(413),
    },
  }),
  async (c) => {
    const hooks = WEBHOOKS[c.req.valid("param").provider];
    const raw = await c.req.text();
    const verified = await hooks.verifier.verify(c.req.raw, raw, c.var.config, c.var.now);
    const event: ReceivedEvent = {
      id: newId("evt"),
      provider: hooks.provider,
      provider_event_id: verified.providerEventId,
      type: verified.type,
      occurred_at: verified.occurredAt,
      received_at: c.var.now,
      payload: raw,
    };
    if (fitsInMessage(raw)) {
      await c.env.WEBHOOK_EVENTS.send({ received: event });
      return c.json({ received: true as const }, 200);
    }
    const stored = await storeReceived(c.var.db, [event]);
    const duplicate = stored.inserted === 0;
    // Queued after answering: the provider waits for nothing but the insert. A lost send leaves
    // the event pending, and the cron sweep queues it again.
    if (!duplicate) {
      afterResponse(c, "webhook enqueue", c.env.WEBHOOK_EVENTS.send({ event_id: event.id }));
    }
    return c.json({ received: true as const, duplicate }, 200);
  },
);
