// PayPal's REST API with plain fetch: OAuth2 client credentials for the access token (cached in
// the isolate), one request helper, and PayPal's errors as the API's 502.
import type { Config } from "../env";
import { ApiError } from "../lib/errors";
import { readJson } from "../lib/http";
import { MINUTE, SECOND } from "../lib/time";

export interface PayPalCredentials {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
}

export function paypalCredentials(config: Config): PayPalCredentials | null {
  if (!config.PAYPAL_CLIENT_ID || !config.PAYPAL_CLIENT_SECRET) return null;
  return {
    baseUrl: config.PAYPAL_API_BASE_URL.replace(/\/+$/, ""),
    clientId: config.PAYPAL_CLIENT_ID,
    clientSecret: config.PAYPAL_CLIENT_SECRET,
  };
}

/** A token is renewed this long before PayPal says it expires. */
const TOKEN_MARGIN = 5 * MINUTE;

interface CachedToken {
  token: string;
  expiresAt: number;
}

// Access tokens live in the isolate: one per API base and client id, shared by all requests.
const tokenCache = new Map<string, CachedToken>();
const tokenRequests = new Map<string, Promise<CachedToken>>();

/** For tests: forget every cached token. */
export function clearPayPalTokenCache(): void {
  tokenCache.clear();
  tokenRequests.clear();
}

export interface PayPalResponse {
  status: number;
  body: unknown;
  debugId: string | null;
}

function debugIdOf(body: unknown, headers: Headers): string | null {
  if (body && typeof body === "object" && "debug_id" in body && typeof body.debug_id === "string") {
    return body.debug_id;
  }
  return headers.get("paypal-debug-id");
}

function errorName(body: unknown): string | null {
  if (!body || typeof body !== "object") return null;
  if ("name" in body && typeof body.name === "string") return body.name;
  if ("error" in body && typeof body.error === "string") return body.error;
  return null;
}

/** The issues PayPal lists for a failed request (`details[].issue`). */
export function errorIssues(body: unknown): string[] {
  if (!body || typeof body !== "object" || !("details" in body) || !Array.isArray(body.details)) {
    return [];
  }
  return body.details
    .map((detail: unknown) =>
      detail && typeof detail === "object" && "issue" in detail ? String(detail.issue) : "",
    )
    .filter(Boolean);
}

/** Never includes credentials or tokens: the operation, the status, PayPal's error name and debug id. */
export function providerError(what: string, response: PayPalResponse): ApiError {
  const name = errorName(response.body);
  const issues = errorIssues(response.body);
  const parts = [`PayPal ${what} failed with HTTP ${response.status}`];
  if (name) parts.push(name);
  if (issues.length > 0) parts.push(`(${issues.join(", ")})`);
  if (response.debugId) parts.push(`debug_id ${response.debugId}`);
  return new ApiError("provider_error", parts.join(" "));
}

async function send(url: string, init: RequestInit, what: string): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch {
    throw new ApiError("provider_error", `PayPal ${what} failed: PayPal could not be reached`);
  }
}

export class PayPalClient {
  constructor(private readonly credentials: PayPalCredentials) {}

  private get cacheKey(): string {
    return `${this.credentials.baseUrl} ${this.credentials.clientId}`;
  }

  private async fetchToken(): Promise<CachedToken> {
    const { baseUrl, clientId, clientSecret } = this.credentials;
    const response = await send(
      `${baseUrl}/v1/oauth2/token`,
      {
        method: "POST",
        headers: {
          authorization: `Basic ${btoa(`${clientId}:${clientSecret}`)}`,
          "content-type": "application/x-www-form-urlencoded",
          accept: "application/json",
        },
        body: "grant_type=client_credentials",
      },
      "authentication",
    );
    const body = await readJson(response);
    const result = { status: response.status, body, debugId: debugIdOf(body, response.headers) };
    if (!response.ok) throw providerError("authentication", result);
    const token = body as { access_token?: unknown; expires_in?: unknown } | null;
    if (typeof token?.access_token !== "string" || typeof token.expires_in !== "number") {
      throw providerError("authentication", result);
    }
    const lifetime = token.expires_in * SECOND;
    // Short-lived tokens are renewed halfway through rather than never cached.
    const margin = Math.min(TOKEN_MARGIN, lifetime / 2);
    return { token: token.access_token, expiresAt: Date.now() + lifetime - margin };
  }

  /** A cached token while it has more than the margin left; one request at a time renews it. */
  async accessToken(): Promise<string> {
    const key = this.cacheKey;
    const cached = tokenCache.get(key);
    if (cached && cached.expiresAt > Date.now()) return cached.token;
    let pending = tokenRequests.get(key);
    if (!pending) {
      pending = this.fetchToken().finally(() => tokenRequests.delete(key));
      tokenRequests.set(key, pending);
    }
    const fresh = await pending;
    tokenCache.set(key, fresh);
    return fresh.token;
  }

  /**
   * One API call; answers whatever PayPal answered (the caller decides what is an error). A 401
   * drops the cached token and retries once with a new one (PayPal may revoke tokens early).
   */
  async request(
    method: "GET" | "POST",
    path: string,
    options: { body?: unknown; rawBody?: string; requestId?: string } = {},
    what = `${method} ${path}`,
  ): Promise<PayPalResponse> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.accessToken();
      const headers: Record<string, string> = {
        authorization: `Bearer ${token}`,
        accept: "application/json",
      };
      let body: string | undefined;
      if (options.rawBody !== undefined || options.body !== undefined) {
        headers["content-type"] = "application/json";
        body = options.rawBody ?? JSON.stringify(options.body);
      }
      if (options.requestId) headers["paypal-request-id"] = options.requestId;
      const response = await send(
        `${this.credentials.baseUrl}${path}`,
        { method, headers, ...(body === undefined ? {} : { body }) },
        what,
      );
      if (response.status === 401 && attempt === 0) {
        await response.body?.cancel();
        if (tokenCache.get(this.cacheKey)?.token === token) tokenCache.delete(this.cacheKey);
        continue;
      }
      const parsed = await readJson(response);
      return {
        status: response.status,
        body: parsed,
        debugId: debugIdOf(parsed, response.headers),
      };
    }
  }

  /** Like request, but a non-2xx answer throws ApiError("provider_error"). */
  async call<T>(
    method: "GET" | "POST",
    path: string,
    options: { body?: unknown; requestId?: string } = {},
    what?: string,
  ): Promise<T> {
    const response = await this.request(method, path, options, what);
    if (response.status < 200 || response.status >= 300) {
      throw providerError(what ?? `${method} ${path}`, response);
    }
    return response.body as T;
  }
}

export function payPalClient(config: Config): PayPalClient | null {
  const credentials = paypalCredentials(config);
  return credentials ? new PayPalClient(credentials) : null;
}
