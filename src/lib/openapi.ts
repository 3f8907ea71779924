import { z } from "@hono/zod-openapi";
import { PROBLEM_CONTENT_TYPE } from "./errors";

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    code: z.string().openapi({ example: "invalid_request" }),
    instance: z.string().optional(),
    request_id: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi("Problem");

const DESCRIPTIONS: Record<number, string> = {
  400: "Invalid input (problem+json lists each field)",
  401: "Missing, invalid or expired credentials",
  402: "Payment required",
  403: "Forbidden",
  404: "Not found",
  409: "Conflict",
  413: "Body too large",
  415: "Unsupported media type",
  426: "Upgrade required (a WebSocket route asked for without Upgrade: websocket)",
  429: "Rate limited",
  500: "Internal error, or the server is misconfigured",
  502: "The payment provider failed",
  503: "The payment provider is not configured",
};

type ErrorStatus = 400 | 401 | 402 | 403 | 404 | 409 | 413 | 415 | 426 | 429 | 500 | 502 | 503;

/** The problem+json responses a route can give, for the OpenAPI document. */
export function errorResponses(...statuses: ErrorStatus[]) {
  const responses: Record<
    number,
    { description: string; content: Record<string, { schema: typeof ProblemSchema }> }
  > = {};
  for (const status of statuses) {
    responses[status] = {
      description: DESCRIPTIONS[status] ?? "Error",
      content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
    };
  }
  return responses;
}

export function jsonBody<T extends z.ZodType>(schema: T) {
  return { required: true, content: { "application/json": { schema } } } as const;
}

export function jsonContent<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } } as const;
}

export const bearerSecurity = [{ bearerAuth: [] }];

/** What the app knows about a path that the route itself does not say. */
export interface CommonProblemRules {
  /** Paths a suspended subscriber may still use (no 402 there). */
  openWhenSuspended: (path: string) => boolean;
}

interface Operation {
  security?: unknown[];
  parameters?: unknown[];
  requestBody?: unknown;
  responses?: Record<string, unknown>;
}

/**
 * Adds the problems every route of a kind can answer, so no route keeps them by hand: invalid
 * input (400) where there is input, 413/415 where there is a body, and behind authentication
 * 401, 403 (a disabled account, or not an admin), 429, and 402 (suspended for non-payment, unless the path stays open).
 * A route lists only what is its own (404, 409, a feature's 403, an anonymous route's 429).
 */
export function withCommonProblems<T extends { paths?: Record<string, unknown> }>(
  document: T,
  rules: CommonProblemRules,
): T {
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const operation of Object.values(item as Record<string, Operation>)) {
      if (typeof operation !== "object" || !operation?.responses) continue;
      const statuses: ErrorStatus[] = [];
      if (operation.parameters?.length || operation.requestBody) statuses.push(400);
      if (operation.requestBody) statuses.push(413, 415);
      if (operation.security?.length) {
        // 403: a disabled account, or a non-admin on an admin path.
        statuses.push(401, 403, 429);
        if (!rules.openWhenSuspended(path)) statuses.push(402);
      }
      for (const status of statuses) {
        operation.responses[status] ??= {
          description: DESCRIPTIONS[status] ?? "Error",
          content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: "#/components/schemas/Problem" } } },
        };
      }
    }
  }
  return document;
}
