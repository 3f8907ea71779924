import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { z } from "zod";
import type { Db } from "../db";
import type { Config, Env } from "../env";
import type { Locale } from "../i18n";
import { msg } from "../i18n";
import { issueMessage } from "../i18n/zod";
import { ApiError, type FieldError } from "./errors";

export interface Principal {
  userId: string;
  role: "user" | "admin";
  /** The login session (access tokens); null for API keys. */
  sessionId: string | null;
  /** The API key used, when the request came with one. */
  apiKeyId: string | null;
  /** When the credential stops working (the access token's expiry, epoch ms); null for API keys. */
  expiresAt: number | null;
}

export interface AppVariables {
  requestId: string;
  config: Config;
  db: Db;
  /** The request's clock, read once at the edge; services take it as an argument. */
  now: number;
  /** The language of the answer: Accept-Language, else the signed-in user's locale, else en. */
  locale: Locale;
  principal: Principal | undefined;
  /** What this route costs against the limits (routeCost); 1 when unset. */
  cost: number | undefined;
}

export type AppEnv = { Bindings: Env; Variables: AppVariables };

/** What every service is handed: the database, the typed config, the bindings and the clock. */
export interface ServiceContext {
  db: Db;
  env: Env;
  config: Config;
  /** The caller's clock (the request's, the cron's scheduled time): nothing deeper reads Date.now(). */
  now: number;
  /** Who is acting, for log lines: `request <id>`, `job <name>`, `webhook event <id>`. */
  origin?: string;
}

/** A request's service context: its database, config and clock, the Worker's bindings, its id. */
export function serviceContext(c: Context<AppEnv>): ServiceContext {
  return {
    db: c.var.db,
    env: c.env,
    config: c.var.config,
    now: c.var.now,
    origin: `request ${c.var.requestId}`,
  };
}

/** Each issue of a failed parse of `input`, its message in `locale`. */
export function fieldErrors(error: z.ZodError, locale: Locale, input: unknown): FieldError[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join("."),
    message: issueMessage(locale, issue, input),
  }));
}

/**
 * Every router validates with the same hook: bad input is a 400 problem listing each field. The
 * hook runs after the route's middleware, so the locale is final (the user's, once signed in).
 */
export function newRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) {
        // The validator hands its hook the input it parsed, though the type leaves it out.
        const input: unknown = "data" in result ? result.data : undefined;
        throw new ApiError("invalid_request", msg(`problems.invalid_request.${result.target}`), {
          errors: fieldErrors(result.error, c.var.locale, input),
        });
      }
    },
  });
}

/** The authenticated principal; routes behind requireAuth can rely on it. */
export function principalOf(c: { get(key: "principal"): Principal | undefined }): Principal {
  const principal = c.get("principal");
  if (!principal) throw new ApiError("unauthorized");
  return principal;
}
