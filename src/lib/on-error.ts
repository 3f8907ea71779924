import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { ConfigError } from "../env";
import { msg } from "../i18n";
import type { AppEnv } from "./context";
import { ApiError, type ErrorCode, problemResponse } from "./errors";

function fromHttpException(error: HTTPException): ApiError {
  const byStatus: Record<number, ErrorCode> = {
    400: /json/i.test(error.message) ? "malformed_json" : "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
  };
  const code = byStatus[error.status];
  if (code === "unsupported_media_type") {
    return new ApiError(code, msg("problems.unsupported_media_type.send_json"));
  }
  if (code === "malformed_json")
    return new ApiError(code, msg("problems.malformed_json.unparsable"));
  return code ? new ApiError(code) : new ApiError("internal_error");
}

/** The one error handler: everything becomes problem+json; nothing internal leaks out. */
export function onError(error: Error, c: Context<AppEnv>): Response {
  const requestId = c.var.requestId;
  const where = { instance: c.req.path, requestId, locale: c.var.locale };
  // Errors thrown before any response exists would lose the header the request-id middleware
  // queued: set it here, so every problem can be traced.
  const respond = (problem: ApiError) =>
    problemResponse(problem, where, requestId ? { "x-request-id": requestId } : {});
  if (error instanceof ApiError) return respond(error);
  if (error instanceof HTTPException) return respond(fromHttpException(error));
  if (error instanceof ConfigError) {
    console.error(
      JSON.stringify({ msg: "misconfigured", request_id: requestId, error: error.message }),
    );
    return respond(new ApiError("misconfigured", error.message));
  }
  console.error(
    JSON.stringify({
      msg: "unhandled error",
      request_id: requestId,
      error: String(error),
      stack: error.stack,
    }),
  );
  return respond(new ApiError("internal_error"));
}
