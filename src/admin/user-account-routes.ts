// What an admin sees and changes of one user's account besides the profile: the subscription
// (and a plan granted at no charge) and the API keys.
import { createRoute, z } from "@hono/zod-openapi";
import { ApiKeySchema } from "../auth/api-key-routes";
import { listApiKeys } from "../auth/api-keys";
import { newRouter, principalOf, serviceContext } from "../lib/context";
import { bearerSecurity, errorResponses, jsonBody, jsonContent } from "../lib/openapi";
import { SubscriptionSchema } from "../subscriptions/schemas";
import { subscriptionSummary } from "../subscriptions/view";
import { grantPlan } from "./plan-grant";
import { GrantPlanBody, UserIdParam } from "./schemas";
import { getUser } from "./users";

const tags = ["admin"];
const security = bearerSecurity;
const SubscriptionAnswer = z
  .object({ subscription: SubscriptionSchema.nullable() })
  .openapi("AdminUserSubscription");

export const adminUserAccountRoutes = newRouter();

adminUserAccountRoutes.openapi(
  createRoute({
    method: "get",
    path: "/users/{id}/subscription",
    operationId: "admin.users.subscription.get",
    tags,
    security,
    summary: "A user's current subscription (null on the free plan)",
    request: { params: UserIdParam },
    responses: {
      200: jsonContent(SubscriptionAnswer, "The subscription"),
      ...errorResponses(404),
    },
  }),
  async (c) => {
    const user = await getUser(c.var.db, c.req.valid("param").id);
    return c.json({ subscription: await subscriptionSummary(serviceContext(c), user.id) }, 200);
  },
);

adminUserAccountRoutes.openapi(
  createRoute({
    method: "put",
    path: "/users/{id}/subscription",
    operationId: "admin.users.subscription.update",
    tags,
    security,
    summary:
      "Put a user on a plan at no charge (a manual subscription; the free plan ends it). Refused while they pay through a provider (audit-logged)",
    request: { params: UserIdParam, body: jsonBody(GrantPlanBody) },
    responses: {
      200: jsonContent(SubscriptionAnswer, "The subscription now in force"),
      ...errorResponses(403, 404, 409),
    },
  }),
  async (c) => {
    const subscription = await grantPlan(
      serviceContext(c),
      principalOf(c).userId,
      c.req.valid("param").id,
      c.req.valid("json"),
    );
    return c.json({ subscription }, 200);
  },
);

adminUserAccountRoutes.openapi(
  createRoute({
    method: "get",
    path: "/users/{id}/api-keys",
    operationId: "admin.users.apiKeys.list",
    tags,
    security,
    summary: "A user's live API keys (never the key or its hash)",
    request: { params: UserIdParam },
    responses: {
      200: jsonContent(z.object({ data: z.array(ApiKeySchema) }), "The keys"),
      ...errorResponses(404),
    },
  }),
  async (c) => {
    const user = await getUser(c.var.db, c.req.valid("param").id);
    return c.json({ data: await listApiKeys(serviceContext(c), user.id) }, 200);
  },
);
