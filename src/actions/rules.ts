// The rules between an action's fields, and how an action is shown to admins and to users.
import type { Action, ActionMethod, ActionWindow } from "../db/schema";
import { ApiError, type FieldError } from "../lib/errors";
import { DAY, HOUR, iso, MINUTE, SECOND } from "../lib/time";

/** What an action without its own rate limit is held to, per user. */
export const DEFAULT_RATE_LIMIT = { limit: 10, window: "minute" } as const;

export const WINDOW_MS: Record<ActionWindow, number> = {
  second: SECOND,
  minute: MINUTE,
  hour: HOUR,
  day: DAY,
};

/** Methods a run may call its upstream with: they carry the JSON body. */
const RUN_METHODS: readonly ActionMethod[] = ["POST", "PUT", "PATCH"];

/** The fields of an action that the rules look at, after a create or a patch. */
export interface ActionShape {
  kind: Action["kind"];
  method: ActionMethod;
  pathPrefix: string | null;
  mode: Action["mode"];
}

export function shapeErrors(shape: ActionShape): FieldError[] {
  const errors: FieldError[] = [];
  if (shape.kind === "proxy") {
    if (shape.pathPrefix === null) {
      errors.push({ path: "path_prefix", message: "required for a proxy action" });
    }
    if (shape.mode !== "sync") {
      errors.push({ path: "mode", message: "a proxy answers its caller: sync only" });
    }
  } else {
    if (shape.pathPrefix !== null) {
      errors.push({ path: "path_prefix", message: "only for a proxy action" });
    }
    if (!RUN_METHODS.includes(shape.method)) {
      errors.push({ path: "method", message: "a run calls its upstream with POST, PUT or PATCH" });
    }
  }
  return errors;
}

export function invalidAction(errors: FieldError[]): ApiError {
  return new ApiError("invalid_request", "The action is invalid", { errors });
}

export const defaultMethod = (kind: Action["kind"]): ActionMethod =>
  kind === "run" ? "POST" : "ANY";

export function priceOf(action: Pick<Action, "priceAmount" | "priceCurrency">) {
  return action.priceAmount !== null && action.priceCurrency !== null
    ? { amount: action.priceAmount, currency: action.priceCurrency }
    : null;
}

export function rateLimitOf(action: Pick<Action, "rateLimit" | "rateWindow">) {
  return action.rateLimit !== null && action.rateWindow !== null
    ? { limit: action.rateLimit, window: action.rateWindow }
    : null;
}

/** The rate limit in force: the action's own, or the default. */
export function effectiveRateLimit(action: Pick<Action, "rateLimit" | "rateWindow">) {
  return rateLimitOf(action) ?? { ...DEFAULT_RATE_LIMIT };
}

function commonView(action: Action) {
  return {
    slug: action.slug,
    name: action.name,
    description: action.description,
    kind: action.kind,
    method: action.method,
    path_prefix: action.pathPrefix,
    price: priceOf(action),
    cost: action.cost,
    timeout_ms: action.timeoutMs,
    mode: action.mode,
  };
}

/** An admin's view: everything but the signing secret. */
export function actionView(action: Action) {
  return {
    id: action.id,
    ...commonView(action),
    upstream_url: action.upstreamUrl,
    rate_limit: rateLimitOf(action),
    required_feature: action.requiredFeature,
    enabled: action.enabled,
    created_at: iso(action.createdAt),
    updated_at: iso(action.updatedAt),
  };
}

/** A user's view: what it costs and how often, never where it goes. */
export function availableView(action: Action) {
  return { ...commonView(action), rate_limit: effectiveRateLimit(action) };
}
