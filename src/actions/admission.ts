// What a run or a proxied call asks the user's RateLimiter in requireAuth's one RPC: the
// action's cost against the plan's windows, its own window, its price held from the wallet,
// and the client's Idempotency-Key. Registered before requireAuth; it reads the route table
// from the isolate (no D1).
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../lib/context";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";
import { afterResponse } from "../lib/request";
import { IdempotencyKey, RunBody } from "./schemas";
import { type ActionRoute, type RouteTable, routeTable } from "./table";

declare module "hono" {
  interface ContextVariableMap {
    /** The action this request runs or is proxied to (set before requireAuth). */
    actionRoute: ActionRoute;
  }
}

/** The isolate's route table, refreshed past the response when it is getting old. */
export function tableFor(c: Context<AppEnv>): Promise<RouteTable> {
  return routeTable({ db: c.var.db, env: c.env, config: c.var.config, now: c.var.now }, (work) =>
    afterResponse(c, "action table refresh", work),
  );
}

function admit(c: Context<AppEnv>, route: ActionRoute, idempotencyKey?: string): void {
  c.set("actionRoute", route);
  c.set("cost", route.action.cost);
  c.set("admission", {
    window: route.window,
    ...(route.price ? { hold: route.price } : {}),
    reference: newId("arn"),
    ...(route.action.requiredFeature ? { feature: route.action.requiredFeature } : {}),
    ...(idempotencyKey ? { idempotencyKey } : {}),
  });
}

/**
 * POST /v1/actions/{slug}/runs. Only a request that will run is admitted with the price: an
 * unknown action, a bad body or a bad Idempotency-Key is counted as a plain request by
 * requireAuth and then refused (404, 400) without anything held.
 */
export const runAdmission = createMiddleware<AppEnv>(async (c, next) => {
  if (c.req.method !== "POST") return next();
  const route = (await tableFor(c)).bySlug(c.req.param("slug") ?? "");
  if (route?.action.kind !== "run") return next();
  const key = IdempotencyKey.safeParse(c.req.header("idempotency-key"));
  if (!key.success) return next();
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    return next();
  }
  if (!RunBody.safeParse(body).success) return next();
  admit(c, route, key.data);
  await next();
});

/**
 * Any request under a proxy action's path prefix: 404 when no action has the path, 405 when
 * the action takes another method, else admitted like a run (without an Idempotency-Key:
 * proxied calls are not replayed; the client's key reaches the upstream unchanged).
 */
export const proxyAdmission = createMiddleware<AppEnv>(async (c, next) => {
  const match = (await tableFor(c)).forPath(c.req.path);
  if (!match) throw new ApiError("not_found", `No route for ${c.req.method} ${c.req.path}`);
  const method = match.route.action.method;
  if (method !== "ANY" && method !== c.req.method) {
    throw new ApiError("method_not_allowed", `${c.req.method} is not allowed here`, {
      headers: { allow: method },
    });
  }
  admit(c, match.route);
  await next();
});
