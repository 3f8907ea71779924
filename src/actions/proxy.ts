// Proxy mode: an existing API behind tollgate, unchanged. A request under an action's path
// prefix is authenticated, limited and priced by requireAuth's one RPC (proxyAdmission set what
// to ask), then forwarded to upstream_url + the rest of the path + the query, with its method,
// headers and body, signed, naming the user, and without the caller's credentials. The
// upstream's status, headers and body stream back, with the RateLimit headers. An answer below
// 500 captures the price; a 5xx, a timeout or no answer releases it. The run record is written
// past the response.
import type { Context } from "hono";
import { requireAuth } from "../auth/middleware";
import type { ActionRun } from "../db/schema";
import { type AppEnv, newRouter, principalOf, serviceContext } from "../lib/context";
import { ApiError } from "../lib/errors";
import { afterResponse } from "../lib/request";
import { proxyAdmission } from "./admission";
import { newRun, runFailure } from "./runs";
import { finishRun, queueRecord, settleHold } from "./settlement";
import { signedHeaders, USER_ID_HEADER } from "./signing";
import type { ActionRoute } from "./table";
import { callUpstream, type UpstreamResult } from "./upstream";

/** Request headers that stay here: the caller's credentials, hop-by-hop ones, tollgate's own. */
const DROPPED_REQUEST = new Set([
  "authorization",
  "x-api-key",
  "host",
  "connection",
  "keep-alive",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "content-length",
  "x-forwarded-for",
]);
/** Response headers the upstream may not set: hop-by-hop ones, and what tollgate answers for. */
const DROPPED_RESPONSE = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "ratelimit",
  "ratelimit-policy",
  "x-request-id",
]);

/** Where a request goes: upstream_url + the path after the prefix + the query. */
export function upstreamTarget(upstreamUrl: string, rest: string, search: string): string {
  const target = new URL(upstreamUrl);
  target.pathname = target.pathname.replace(/\/+$/, "") + rest;
  const query = new URLSearchParams(search);
  for (const [name, value] of query) target.searchParams.append(name, value);
  return target.toString();
}

export function forwardedHeaders(incoming: Headers): Headers {
  const headers = new Headers();
  for (const [name, value] of incoming) {
    if (DROPPED_REQUEST.has(name) || name.startsWith("tollgate-") || name.startsWith("cf-")) {
      continue;
    }
    headers.append(name, value);
  }
  const ip = incoming.get("cf-connecting-ip");
  if (ip) headers.set("x-forwarded-for", ip);
  return headers;
}

function returnedHeaders(upstream: Headers): Headers {
  const headers = new Headers();
  for (const [name, value] of upstream) {
    if (!DROPPED_RESPONSE.has(name)) headers.append(name, value);
  }
  return headers;
}

/** How a proxied call ended: an answer below 500 succeeded (charged when priced). */
function proxiedRun(
  route: ActionRoute,
  base: ActionRun,
  startedAt: number,
  result: UpstreamResult,
): ActionRun {
  const finishedAt = Date.now();
  const ended: ActionRun = {
    ...base,
    attempts: 1,
    startedAt,
    finishedAt,
    durationMs: finishedAt - startedAt,
    updatedAt: finishedAt,
  };
  if (result.kind !== "answered") {
    const error = result.kind === "timeout" ? "upstream_timeout" : "upstream_unreachable";
    return { ...ended, status: "failed", error };
  }
  const succeeded = result.response.status < 500;
  return {
    ...ended,
    status: succeeded ? "succeeded" : "failed",
    error: succeeded ? null : "upstream_failed",
    charged: succeeded && route.price !== null,
    upstreamStatus: result.response.status,
    responseContentType: result.response.headers.get("content-type"),
  };
}

/** The handler behind proxyAdmission and requireAuth, for every method. */
export async function proxyCall(c: Context<AppEnv>): Promise<Response> {
  const route = c.var.actionRoute;
  const runId = c.var.admission?.reference;
  if (!route || !runId) throw new ApiError("internal_error", "The call was not admitted");
  const userId = principalOf(c).userId;
  const ctx = serviceContext(c);
  const held = c.var.limits?.holdId !== undefined;
  const url = new URL(c.req.url);
  const rest = url.pathname.slice((route.action.pathPrefix ?? "").length);
  const method = c.req.method;
  // Signing covers the body, so it is read first (MAX_BODY_BYTES bounds it); answers stream.
  const raw = method === "GET" || method === "HEAD" ? null : await c.req.arrayBuffer();
  const body = raw && raw.byteLength > 0 ? new Uint8Array(raw) : null;
  const startedAt = Date.now();
  const headers = forwardedHeaders(c.req.raw.headers);
  for (const [name, value] of Object.entries(
    await signedHeaders(route.secret, body ?? "", runId, startedAt),
  )) {
    headers.set(name, value);
  }
  headers.set(USER_ID_HEADER, userId);
  headers.set("x-request-id", c.var.requestId);
  const target = upstreamTarget(route.action.upstreamUrl, rest, url.search);
  const base = newRun(route, {
    id: runId,
    userId,
    mode: "sync",
    idempotencyKey: null,
    method,
    path: `${url.pathname}${url.search}`.slice(0, 2000),
    requestBody: null,
    status: "running",
    now: c.var.now,
  });
  // The call and the settlement on its status (known with the headers) are one piece of work,
  // handed to waitUntil before the answer waits on it: a client that goes away mid-call
  // cancels only the answer, never the capture (or the release) nor the record.
  const called = callUpstream(
    route,
    new Request(target, { method, headers, body }),
    "headers",
  ).then((result) => ({ result, run: proxiedRun(route, base, startedAt, result) }));
  afterResponse(
    c,
    "action run end",
    called.then(({ run }) => finishRun(ctx, run, held, queueRecord)),
  );
  const { result, run } = await called;
  if (result.kind !== "answered") throw runFailure(run);
  const upstream = result.response;
  // Made through the context, so the headers set before (RateLimit, X-Request-Id, security
  // ones) are on it; the upstream's own follow.
  const answer = new Response(upstream.body, {
    status: upstream.status,
    headers: returnedHeaders(upstream.headers),
  });
  return c.newResponse(answer.body, answer);
}

/**
 * Mounted at /api: every proxy action's path prefix lives under it (schemas.ts), so a proxied
 * API never shadows /v1, and run_worker_first = "/api/*" sends it to the Worker before assets.
 * Not in the OpenAPI document: its paths are the upstreams' own.
 */
export const proxyRoutes = newRouter();
proxyRoutes.use("*", proxyAdmission, requireAuth);
proxyRoutes.all("*", proxyCall);
