import { createRoute, z } from "@hono/zod-openapi";
import { requireAuth } from "../auth/middleware";
import { grants } from "../db/plan-features";
import { newRouter, principalOf, serviceContext } from "../lib/context";
import { ApiError, notFound } from "../lib/errors";
import { bearerSecurity, errorResponses, jsonBody, jsonContent } from "../lib/openapi";
import { PageQuery } from "../lib/pagination";
import { afterResponse } from "../lib/request";
import { planForUser } from "../policy/policy";
import { runAdmission, tableFor } from "./admission";
import { getRun, listRuns, runView } from "./records";
import { availableView } from "./rules";
import { replayRun, startRun } from "./run-service";
import {
  AvailableActionListSchema,
  RunAcceptedSchema,
  RunBody,
  RunHeaders,
  RunIdParam,
  RunListSchema,
  RunResultSchema,
  RunSchema,
  SlugParam,
} from "./schemas";

const tags = ["actions"];
const security = bearerSecurity;

/** /v1/actions: the actions a user may run, running them, and their runs. */
export const actionRoutes = newRouter();
// The run's admission (its window, cost and price) goes into requireAuth's one RPC.
actionRoutes.use("/:slug/runs", runAdmission);
actionRoutes.use("*", requireAuth);

actionRoutes.openapi(
  createRoute({
    method: "get",
    path: "/",
    operationId: "actions.list",
    tags,
    security,
    summary: "The actions you may run, with their prices and limits",
    responses: {
      200: jsonContent(AvailableActionListSchema, "The actions"),
      ...errorResponses(403),
    },
  }),
  async (c) => {
    const [table, plan] = await Promise.all([
      tableFor(c),
      planForUser(c.var.db, principalOf(c).userId),
    ]);
    const data = table.routes
      .filter((r) => !r.action.requiredFeature || grants(plan.features[r.action.requiredFeature]))
      .sort((a, b) => a.action.slug.localeCompare(b.action.slug))
      .map((r) => availableView(r.action));
    return c.json({ data }, 200);
  },
);

actionRoutes.openapi(
  createRoute({
    method: "get",
    path: "/runs",
    operationId: "actions.runs.list",
    tags,
    security,
    summary: "Your runs, newest first",
    request: { query: z.object(PageQuery) },
    responses: { 200: jsonContent(RunListSchema, "A page of runs"), ...errorResponses(403) },
  }),
  async (c) =>
    c.json(await listRuns(c.var.db, { userId: principalOf(c).userId }, c.req.valid("query")), 200),
);

actionRoutes.openapi(
  createRoute({
    method: "get",
    path: "/runs/{id}",
    operationId: "actions.runs.get",
    tags,
    security,
    summary: "One of your runs: status, price, timings, upstream status, bodies",
    request: { params: RunIdParam },
    responses: { 200: jsonContent(RunSchema, "The run"), ...errorResponses(403, 404) },
  }),
  async (c) =>
    c.json(runView(await getRun(c.var.db, c.req.valid("param").id, principalOf(c).userId)), 200),
);

actionRoutes.openapi(
  createRoute({
    method: "post",
    path: "/{slug}/runs",
    operationId: "actions.runs.create",
    tags,
    security,
    summary: "Run an action: limited, its price held, the upstream called, charged on success",
    description:
      "Sync actions answer 200 with the upstream's output (charged), 502 upstream_failed or 504 upstream_timeout (released, run recorded as failed). Async actions answer 202 at once and run from a queue. 402 insufficient_funds when the wallet cannot cover the price (the upstream is never called). The same Idempotency-Key answers the first run.",
    request: { params: SlugParam, headers: RunHeaders, body: jsonBody(RunBody) },
    responses: {
      200: jsonContent(RunResultSchema, "The run succeeded (and was charged)"),
      202: jsonContent(RunAcceptedSchema, "Queued (async), or the first run is under way (replay)"),
      ...errorResponses(402, 403, 404, 409, 502, 504),
    },
  }),
  async (c) => {
    const route = c.var.actionRoute;
    if (!route) throw notFound("Action");
    const userId = principalOf(c).userId;
    const ctx = serviceContext(c);
    const replayOf = c.var.replayOf;
    const answer = replayOf
      ? await replayRun(ctx, route, userId, replayOf)
      : await startRun(
          {
            ...ctx,
            defer: (label, work) => afterResponse(c, label, work),
            clock: Date.now,
          },
          {
            route,
            runId: admittedReference(c.var.admission?.reference),
            userId,
            held: c.var.limits?.holdId !== undefined,
            input: c.req.valid("json").input,
            idempotencyKey: c.req.valid("header")["idempotency-key"] ?? null,
          },
        );
    return answer.status === 200 ? c.json(answer.body, 200) : c.json(answer.body, 202);
  },
);

function admittedReference(reference: string | undefined): string {
  if (!reference) throw new ApiError("internal_error", "The run was not admitted");
  return reference;
}
