import { createRoute, z } from "@hono/zod-openapi";
import { newRouter, principalOf, serviceContext } from "../lib/context";
import { bearerSecurity, errorResponses, jsonBody, jsonContent } from "../lib/openapi";
import { createApiKey, listApiKeys, revokeApiKey } from "./api-keys";

const tags = ["api keys"];
const security = bearerSecurity;

export const ApiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().openapi({ description: "The start and end of the key, to recognize it" }),
    created_at: z.iso.datetime(),
    last_used_at: z.iso.datetime().nullable(),
    expires_at: z.iso.datetime().nullable(),
  })
  .openapi("ApiKey");

const CreatedApiKeySchema = ApiKeySchema.extend({
  key: z
    .string()
    .openapi({ description: "The key itself. Shown this once; only its hash is kept." }),
}).openapi("CreatedApiKey");

const CreateApiKeyBody = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    expires_at: z.iso.datetime({ offset: true }).optional(),
  })
  .openapi("CreateApiKeyRequest");

const KeyIdParam = z.object({
  id: z
    .string()
    .regex(/^key_[0-9a-z]+$/)
    .openapi({ param: { name: "id", in: "path" } }),
});

/** Mounted under /v1/me, whose requireAuth covers it. */
export const apiKeyRoutes = newRouter();

apiKeyRoutes.openapi(
  createRoute({
    method: "post",
    path: "/",
    operationId: "me.apiKeys.create",
    tags,
    security,
    summary: "Create an API key (the key is shown once)",
    request: { body: jsonBody(CreateApiKeyBody) },
    responses: {
      201: jsonContent(CreatedApiKeySchema, "The new key"),
      ...errorResponses(403),
    },
  }),
  async (c) => {
    const created = await createApiKey(
      serviceContext(c),
      principalOf(c).userId,
      c.req.valid("json"),
    );
    return c.json(created, 201);
  },
);

apiKeyRoutes.openapi(
  createRoute({
    method: "get",
    path: "/",
    operationId: "me.apiKeys.list",
    tags,
    security,
    summary: "The current user's API keys",
    responses: {
      200: jsonContent(z.object({ data: z.array(ApiKeySchema) }), "The keys"),
      ...errorResponses(403),
    },
  }),
  async (c) => c.json({ data: await listApiKeys(serviceContext(c), principalOf(c).userId) }, 200),
);

apiKeyRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/{id}",
    operationId: "me.apiKeys.delete",
    tags,
    security,
    summary: "Revoke an API key (effective on the next request)",
    request: { params: KeyIdParam },
    responses: { 204: { description: "Revoked" }, ...errorResponses(403, 404) },
  }),
  async (c) => {
    await revokeApiKey(serviceContext(c), principalOf(c).userId, c.req.valid("param").id);
    return c.body(null, 204);
  },
);
