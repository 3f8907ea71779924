import type { ContentfulStatusCode } from "hono/utils/http-status";
import { DEFAULT_LOCALE, type Locale, type Message, msg, render } from "../i18n";

// Every error the API returns is an RFC 9457 problem with a stable machine `code`. The catalog
// is the one place a code gets its status and English title, so the same code always means the
// same. Other languages translate the title as `problems.<code>.title` in src/i18n/locales.
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
  upgrade_required: [426, "Upgrade required"],
  rate_limited: [429, "Too many requests"],
  misconfigured: [500, "The server is misconfigured"],
  internal_error: [500, "Internal server error"],
  provider_error: [502, "The payment provider failed"],
  provider_unavailable: [503, "This payment provider is not configured"],
} as const satisfies Record<string, readonly [ContentfulStatusCode, string]>;

export type ErrorCode = keyof typeof CATALOG;
export const ERROR_CODES = Object.keys(CATALOG) as ErrorCode[];

export interface FieldError {
  path: string;
  /** Text, or a message rendered in the request's locale. */
  message: string | Message;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  code: ErrorCode;
  instance?: string;
  request_id?: string;
  errors?: { path: string; message: string }[];
  [extension: string]: unknown;
}

export class ApiError extends Error {
  readonly status: ContentfulStatusCode;
  readonly title: string;

  constructor(
    readonly code: ErrorCode,
    /** What happened, for a person: a catalog message (`msg(key, params)`) renders in their locale. */
    readonly detail?: string | Message,
    readonly options: {
      errors?: FieldError[];
      extensions?: Record<string, unknown>;
      headers?: Record<string, string>;
    } = {},
  ) {
    super(render(DEFAULT_LOCALE, detail ?? CATALOG[code][1]));
    this.status = CATALOG[code][0];
    this.title = CATALOG[code][1];
  }

  /** The problem in `locale`: title, detail and field messages translated, the code unchanged. */
  toProblem(instance?: string, requestId?: string, locale: Locale = DEFAULT_LOCALE): Problem {
    const errors = this.options.errors?.map(({ path, message }) => ({
      path,
      message: render(locale, message),
    }));
    return {
      ...this.options.extensions,
      type: problemType(this.code),
      title: render(locale, { key: `problems.${this.code}.title`, fallback: this.title }),
      status: this.status,
      ...(this.detail === undefined ? {} : { detail: render(locale, this.detail) }),
      code: this.code,
      ...(instance === undefined ? {} : { instance }),
      ...(requestId === undefined ? {} : { request_id: requestId }),
      ...(errors ? { errors } : {}),
    };
  }
}

export function problemType(code: ErrorCode): string {
  return `https://tollgate.dev/problems/${code}`;
}

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

export function problemResponse(
  error: ApiError,
  where: { instance?: string; requestId?: string; locale?: Locale } = {},
  headers: Record<string, string> = {},
): Response {
  const locale = where.locale ?? DEFAULT_LOCALE;
  return new Response(JSON.stringify(error.toProblem(where.instance, where.requestId, locale)), {
    status: error.status,
    headers: {
      "content-type": PROBLEM_CONTENT_TYPE,
      "content-language": locale,
      ...headers,
      ...error.options.headers,
    },
  });
}

/**
 * The 404 a user gets for anything that is not theirs: the same as for what does not exist.
 * `what` is the English name ("Webhook event"); its translations are `resources.<snake_case>`
 * ("resources.webhook_event"), with the article the language needs ("el evento de webhook").
 */
export const notFound = (what: string): ApiError =>
  new ApiError(
    "not_found",
    msg("problems.not_found.resource", {
      what: { key: `resources.${what.toLowerCase().replaceAll(" ", "_")}`, fallback: what },
    }),
  );
