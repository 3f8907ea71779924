import type { Context } from "hono";
import { msg } from "../i18n";
import type { AppEnv } from "./context";
import { ApiError } from "./errors";
import { pathMatcher } from "./paths";

interface RouteShape {
  method: string;
  path: string;
}

/** Compiles route paths (`/v1/admin/users/:id`) to matchers, once, for the 404-vs-405 choice. */
function compile(routes: RouteShape[]) {
  return routes
    .filter((r) => r.method !== "ALL" && !r.path.includes("*"))
    .map((r) => ({ method: r.method, regex: pathMatcher(r.path) }));
}

/** Unknown path → 404; known path, other method → 405 with an Allow header. */
export function notFoundHandler(routes: () => RouteShape[]) {
  let matchers: ReturnType<typeof compile> | null = null;
  return (c: Context<AppEnv>) => {
    matchers ??= compile(routes());
    const allowed = [
      ...new Set(matchers.filter((m) => m.regex.test(c.req.path)).map((m) => m.method)),
    ];
    if (allowed.length > 0) {
      throw new ApiError(
        "method_not_allowed",
        msg("problems.method_not_allowed.method", { method: c.req.method }),
        {
          headers: { allow: allowed.join(", ") },
        },
      );
    }
    throw new ApiError(
      "not_found",
      msg("problems.not_found.no_route", { method: c.req.method, path: c.req.path }),
    );
  };
}
