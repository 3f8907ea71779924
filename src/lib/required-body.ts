import type { OpenAPIHono } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import { msg } from "../i18n";
import type { AppEnv } from "./context";
import { ApiError } from "./errors";
import { pathMatcher } from "./paths";

// The JSON validator reads an absent body as `{}`, so a body-less PUT /v1/me/settings would
// reset every setting. Routes that declare a required body refuse a request that sends none.

type Definitions = OpenAPIHono["openAPIRegistry"]["definitions"];

function compile(definitions: Definitions) {
  const required: { method: string; regex: RegExp }[] = [];
  for (const definition of definitions) {
    if (definition.type !== "route") continue;
    const body = definition.route.request?.body;
    if (!body?.required) continue;
    required.push({
      method: definition.route.method.toUpperCase(),
      regex: pathMatcher(definition.route.path),
    });
  }
  return required;
}

export function requireDeclaredBody(definitions: () => Definitions) {
  let required: ReturnType<typeof compile> | null = null;
  return createMiddleware<AppEnv>(async (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    const hasBody = c.req.raw.body !== null && c.req.header("content-length") !== "0";
    if (!hasBody) {
      required ??= compile(definitions());
      const method = c.req.method;
      if (required.some((r) => r.method === method && r.regex.test(c.req.path))) {
        throw new ApiError("invalid_request", msg("problems.invalid_request.body_required"), {
          errors: [{ path: "", message: msg("validation.required") }],
        });
      }
    }
    await next();
  });
}
