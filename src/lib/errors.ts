import type { ContentfulStatusCode } from "hono/utils/http-status";

// Every error the API returns is an RFC 9457 problem with a stable machine `code`. The catalog
// is the one place a code gets its status and title, so the same code always means the same.
const CATALOG = {
  invalid_request: [400, "The request is invalid"],
  malformed_json: [400, "The request body is not valid JSON"],
  invalid_or_expired_token: [400, "The token is invalid, expired or already used"],
  coupon_not_applicable: [400, "The coupon cannot be applied"],
  invalid_signature: [400, "The webhook signature is invalid"],
  unauthorized: [401, "Authentication is required"],
  invalid_token: [401, "The access token is invalid or expired"],
  invalid_credentials: [401, "The email or password is incorrect"],
  invalid_refresh_token: [401, "The refresh token is invalid, expired or revoked"],
  payment_required: [402, "Payment is required"],
  insufficient_funds: [402, "The wallet's available balance is below the price"],
  forbidden: [403, "You are not allowed to do this"],
  account_disabled: [403, "This account is disabled"],
  feature_not_in_plan: [403, "Your plan does not include this feature"],
  incorrect_password: [403, "The password is incorrect"],
  not_found: [404, "Not found"],
  method_not_allowed: [405, "Method not allowed"],
  email_taken: [409, "This email is already registered"],
  conflict: [409, "The request conflicts with the current state"],
  plan_not_available: [409, "This plan cannot be subscribed to"],
  payload_too_large: [413, "The request body is too large"],
  unsupported_media_type: [415, "Unsupported media type"],
  rate_limited: [429, "Too many requests"],
  misconfigured: [500, "The server is misconfigured"],
  internal_error: [500, "Internal server error"],
  provider_error: [502, "The payment provider failed"],
  provider_unavailable: [503, "This payment provider is not configured"],
  upstream_failed: [502, "The action's upstream failed"],
  upstream_timeout: [504, "The action's upstream did not answer in time"],
} as const satisfies Record<string, readonly [ContentfulStatusCode, string]>;

export type ErrorCode = keyof typeof CATALOG;

export interface FieldError {
  path: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  code: ErrorCode;
  instance?: string;
  request_id?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export class ApiError extends Error {
  readonly status: ContentfulStatusCode;
  readonly title: string;

  constructor(
    readonly code: ErrorCode,
    readonly detail?: string,
    readonly options: {
      errors?: FieldError[];
      extensions?: Record<string, unknown>;
      headers?: Record<string, string>;
    } = {},
  ) {
    super(detail ?? CATALOG[code][1]);
    this.status = CATALOG[code][0];
    this.title = CATALOG[code][1];
  }

  toProblem(instance?: string, requestId?: string): Problem {
    return {
      ...this.options.extensions,
      type: problemType(this.code),
      title: this.title,
      status: this.status,
      ...(this.detail === undefined ? {} : { detail: this.detail }),
      code: this.code,
      ...(instance === undefined ? {} : { instance }),
      ...(requestId === undefined ? {} : { request_id: requestId }),
      ...(this.options.errors ? { errors: this.options.errors } : {}),
    };
  }
}

export function problemType(code: ErrorCode): string {
  return `https://tollgate.dev/problems/${code}`;
}

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

export function problemResponse(
  error: ApiError,
  instance?: string,
  requestId?: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(error.toProblem(instance, requestId)), {
    status: error.status,
    headers: { "content-type": PROBLEM_CONTENT_TYPE, ...headers, ...error.options.headers },
  });
}

/** The 404 a user gets for anything that is not theirs: the same as for what does not exist. */
export const notFound = (what: string): ApiError => new ApiError("not_found", `${what} not found`);
