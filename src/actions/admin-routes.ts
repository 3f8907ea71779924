import { createRoute } from "@hono/zod-openapi";
import { newRouter, principalOf, serviceContext } from "../lib/context";
import { bearerSecurity, errorResponses, jsonBody, jsonContent } from "../lib/openapi";
import {
  createAction,
  deleteAction,
  getAction,
  listActions,
  rotateSigningSecret,
  updateAction,
} from "./admin-service";
import { getRun, listRuns, runView } from "./records";
import { actionView } from "./rules";
import {
  ActionIdParam,
  ActionListQuery,
  ActionListSchema,
  ActionSchema,
  ActionWithSecretSchema,
  AdminRunListQuery,
  CreateActionBody,
  PatchActionBody,
  RunIdParam,
  RunListSchema,
  RunSchema,
} from "./schemas";

const tags = ["admin"];
const security = bearerSecurity;

/** /v1/admin/actions — mounted in the admin router, which authenticates and checks the admin. */
export const adminActionRoutes = newRouter();

// The runs first: "/runs" is not an action id.
adminActionRoutes.openapi(
  createRoute({
    method: "get",
    path: "/runs",
    operationId: "admin.actions.runs.list",
    tags,
    security,
    summary: "Every user's action runs, newest first (filter by user, action, status)",
    request: { query: AdminRunListQuery },
    responses: { 200: jsonContent(RunListSchema, "A page of runs") },
  }),
  async (c) => {
    const query = c.req.valid("query");
    const page = await listRuns(
      c.var.db,
      { userId: query.user_id, slug: query.action, status: query.status },
      query,
    );
    return c.json(page, 200);
  },
);

adminActionRoutes.openapi(
  createRoute({
    method: "get",
    path: "/runs/{id}",
    operationId: "admin.actions.runs.get",
    tags,
    security,
    summary: "Any user's run, with its request and response bodies",
    request: { params: RunIdParam },
    responses: { 200: jsonContent(RunSchema, "The run"), ...errorResponses(404) },
  }),
  async (c) => c.json(runView(await getRun(c.var.db, c.req.valid("param").id)), 200),
);

adminActionRoutes.openapi(
  createRoute({
    method: "get",
    path: "/",
    operationId: "admin.actions.list",
    tags,
    security,
    summary: "Every action, newest first (never its signing secret)",
    request: { query: ActionListQuery },
    responses: { 200: jsonContent(ActionListSchema, "A page of actions") },
  }),
  async (c) => c.json(await listActions(c.var.db, c.req.valid("query")), 200),
);

adminActionRoutes.openapi(
  createRoute({
    method: "post",
    path: "/",
    operationId: "admin.actions.create",
    tags,
    security,
    summary: "Create an action (a priced run, or an API proxied under a path prefix)",
    description:
      "Answers the action's signing_secret this once. A proxy needs path_prefix (under /api/) and is sync; a run calls its upstream with POST (or PUT, PATCH).",
    request: { body: jsonBody(CreateActionBody) },
    responses: {
      201: jsonContent(ActionWithSecretSchema, "The action, with its signing secret"),
      ...errorResponses(409),
    },
  }),
  async (c) => {
    const { action, secret } = await createAction(
      serviceContext(c),
      principalOf(c).userId,
      c.req.valid("json"),
    );
    return c.json({ ...actionView(action), signing_secret: secret }, 201);
  },
);

adminActionRoutes.openapi(
  createRoute({
    method: "get",
    path: "/{id}",
    operationId: "admin.actions.get",
    tags,
    security,
    summary: "One action (never its signing secret)",
    request: { params: ActionIdParam },
    responses: { 200: jsonContent(ActionSchema, "The action"), ...errorResponses(404) },
  }),
  async (c) => c.json(actionView(await getAction(c.var.db, c.req.valid("param").id)), 200),
);

adminActionRoutes.openapi(
  createRoute({
    method: "patch",
    path: "/{id}",
    operationId: "admin.actions.update",
    tags,
    security,
    summary: "Change an action: in force in every isolate within 30 s, here at once",
    request: { params: ActionIdParam, body: jsonBody(PatchActionBody) },
    responses: {
      200: jsonContent(ActionSchema, "The updated action"),
      ...errorResponses(404, 409),
    },
  }),
  async (c) => {
    const action = await updateAction(
      serviceContext(c),
      principalOf(c).userId,
      c.req.valid("param").id,
      c.req.valid("json"),
    );
    return c.json(actionView(action), 200);
  },
);

adminActionRoutes.openapi(
  createRoute({
    method: "post",
    path: "/{id}/rotate-secret",
    operationId: "admin.actions.rotateSecret",
    tags,
    security,
    summary: "Replace the signing secret; answers the new one this once",
    request: { params: ActionIdParam },
    responses: {
      200: jsonContent(ActionWithSecretSchema, "The action, with its new signing secret"),
      ...errorResponses(404),
    },
  }),
  async (c) => {
    const { action, secret } = await rotateSigningSecret(
      serviceContext(c),
      principalOf(c).userId,
      c.req.valid("param").id,
    );
    return c.json({ ...actionView(action), signing_secret: secret }, 200);
  },
);

adminActionRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/{id}",
    operationId: "admin.actions.delete",
    tags,
    security,
    summary: "Delete an action (its runs stay)",
    request: { params: ActionIdParam },
    responses: { 204: { description: "Deleted" }, ...errorResponses(404) },
  }),
  async (c) => {
    await deleteAction(serviceContext(c), principalOf(c).userId, c.req.valid("param").id);
    return c.body(null, 204);
  },
);
