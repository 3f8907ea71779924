// An in-memory FCM HTTP v1 and Google OAuth token endpoint, at https://fcm.fake and
// https://oauth2.fake (the test config's FCM_API_BASE_URL and the service account's token_uri).
// The token endpoint checks the JWT assertion like Google does (RS256 signature by the service
// account's key, issuer, audience, scope, lifetime); messages:send checks the access token and
// project, records each message and answers FCM's errors for the tokens a test marks dead.
import { env } from "cloudflare:workers";
import { decodeJwt, exportJWK, importJWK, importPKCS8, jwtVerify } from "jose";
import { loadConfig, type ServiceAccount } from "../../src/env";
import { clearFcmTokenCache } from "../../src/notifications/channels/fcm-auth";
import { formOf, jsonResponse, routeFetch } from "./route-fetch";

export const FCM_BASE = "https://fcm.fake";
export const FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging";

export interface FakePush {
  token: string;
  notification: { title?: string; body?: string };
  data: Record<string, string>;
}

export function testServiceAccount(): ServiceAccount {
  const account = loadConfig(env).FCM_SERVICE_ACCOUNT;
  if (!account) throw new Error("the test config has no FCM_SERVICE_ACCOUNT");
  return account;
}

/** The public half of the service account's key, as Google holds it. */
async function publicKey(account: ServiceAccount): Promise<CryptoKey> {
  const secret = await importPKCS8(account.private_key, "RS256", { extractable: true });
  const { kty, n, e } = await exportJWK(secret);
  const key = await importJWK({ kty, n, e }, "RS256");
  if (!(key instanceof CryptoKey)) throw new Error("not a public key");
  return key;
}

const fcmError = (status: number, state: string, message: string, errorCode?: string) =>
  jsonResponse(status, {
    error: {
      code: status,
      message,
      status: state,
      details: errorCode
        ? [{ "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", errorCode }]
        : [],
    },
  });

export class FakeFcm {
  readonly account = testServiceAccount();
  readonly messages: FakePush[] = [];
  /** Token exchanges, each with the assertion's verified claims (or the reason it was refused). */
  readonly exchanges: { claims: Record<string, unknown> | null; refused: string | null }[] = [];
  /** Tokens answered 404 UNREGISTERED (an app uninstalled). */
  readonly unregistered = new Set<string>();
  /** Tokens answered 400 INVALID_ARGUMENT ("not a valid FCM registration token"). */
  readonly invalid = new Set<string>();
  private readonly accessTokens = new Set<string>();
  private failures: { status: number; state: string; message: string; errorCode?: string }[] = [];

  /** Also empties the app's token cache: a token of an earlier fake is not one of this one's. */
  install(): this {
    clearFcmTokenCache();
    routeFetch(FCM_BASE, (request) => this.send(request));
    routeFetch(new URL(this.account.token_uri).origin, (request) => this.token(request));
    return this;
  }

  /** Every access token issued so far stops working (FCM answers 401). */
  revokeAccessTokens(): void {
    this.accessTokens.clear();
  }

  /** The next messages:send fails with this FCM error. */
  failNext(status: number, state: string, message: string, errorCode?: string): void {
    this.failures.push({ status, state, message, ...(errorCode ? { errorCode } : {}) });
  }

  private async token(request: Request): Promise<Response> {
    const form = await formOf(request);
    const refuse = (reason: string) => {
      this.exchanges.push({ claims: null, refused: reason });
      return jsonResponse(400, { error: "invalid_grant", error_description: reason });
    };
    if (request.method !== "POST" || request.url !== this.account.token_uri) {
      return jsonResponse(404, { error: "not_found" });
    }
    if (form.get("grant_type") !== "urn:ietf:params:oauth:grant-type:jwt-bearer") {
      return refuse("unsupported grant_type");
    }
    const assertion = form.get("assertion") ?? "";
    let claims: Record<string, unknown>;
    try {
      // The assertion's own clock: tests move time, Google checks it against real time.
      const iat = Number(decodeJwt(assertion).iat);
      const verified = await jwtVerify(assertion, await publicKey(this.account), {
        algorithms: ["RS256"],
        issuer: this.account.client_email,
        audience: this.account.token_uri,
        currentDate: new Date(iat * 1000),
        requiredClaims: ["iat", "exp", "scope"],
      });
      claims = { ...verified.payload };
      if (verified.protectedHeader.kid !== this.account.private_key_id) return refuse("bad kid");
    } catch (error) {
      return refuse(`invalid assertion: ${String(error)}`);
    }
    if (claims.scope !== FCM_SCOPE) return refuse("scope");
    if (Number(claims.exp) - Number(claims.iat) > 3600) return refuse("lifetime over an hour");
    this.exchanges.push({ claims, refused: null });
    const accessToken = `ya29.fake-${crypto.randomUUID()}`;
    this.accessTokens.add(accessToken);
    return jsonResponse(200, {
      access_token: accessToken,
      expires_in: 3599,
      token_type: "Bearer",
    });
  }

  private async send(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (
      request.method !== "POST" ||
      path !== `/v1/projects/${this.account.project_id}/messages:send`
    ) {
      return fcmError(404, "NOT_FOUND", "Requested entity was not found.");
    }
    const bearer = /^Bearer (.+)$/.exec(request.headers.get("authorization") ?? "")?.[1];
    if (!bearer || !this.accessTokens.has(bearer)) {
      return fcmError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.");
    }
    const body = (await request.json()) as { message?: Partial<FakePush> };
    const token = body.message?.token;
    if (typeof token !== "string" || !token) {
      return fcmError(
        400,
        "INVALID_ARGUMENT",
        "Recipient of the message is not set.",
        "INVALID_ARGUMENT",
      );
    }
    const failure = this.failures.shift();
    if (failure) return fcmError(failure.status, failure.state, failure.message, failure.errorCode);
    if (this.unregistered.has(token)) {
      return fcmError(404, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED");
    }
    if (this.invalid.has(token)) {
      return fcmError(
        400,
        "INVALID_ARGUMENT",
        "The registration token is not a valid FCM registration token",
        "INVALID_ARGUMENT",
      );
    }
    this.messages.push({
      token,
      notification: body.message?.notification ?? {},
      data: body.message?.data ?? {},
    });
    return jsonResponse(200, {
      name: `projects/${this.account.project_id}/messages/${crypto.randomUUID()}`,
    });
  }
}

/** A fresh fake FCM (and token endpoint), routed to from fetch until mocks are restored. */
export function installFakeFcm(): FakeFcm {
  return new FakeFcm().install();
}
