// FCM's OAuth access token for a Google service account: a JWT signed with the account's
// private key (RS256, jose), traded at the token endpoint (RFC 7523 jwt-bearer grant), and kept
// in the isolate until shortly before it expires, shared by every request.
import { importPKCS8, SignJWT } from "jose";
import type { Config, ServiceAccount } from "../../env";
import { MINUTE, SECOND } from "../../lib/time";
import { ChannelError, member, permanentStatus, reach, readJson } from "./http";

export const FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging";
/** The assertion's lifetime: Google accepts at most an hour. */
const ASSERTION_SECONDS = 3600;
/** A token is renewed this long before Google says it expires. */
const TOKEN_MARGIN = 5 * MINUTE;

interface CachedToken {
  token: string;
  expiresAt: number;
}

const tokens = new Map<string, CachedToken>();
const pending = new Map<string, Promise<CachedToken>>();
const keys = new Map<string, Promise<CryptoKey>>();

/** For tests: forget every cached token (and imported key). */
export function clearFcmTokenCache(): void {
  tokens.clear();
  pending.clear();
  keys.clear();
}

export interface FcmAccount {
  account: ServiceAccount;
  tokenUrl: string;
  /** FCM's API root, without a trailing slash. */
  apiBase: string;
}

export function fcmAccount(config: Config): FcmAccount {
  const account = config.FCM_SERVICE_ACCOUNT;
  // loadConfig refuses PUSH_PROVIDER=fcm without it; this keeps the types honest.
  if (!account) throw new ChannelError("FCM is not configured", true);
  return {
    account,
    tokenUrl: config.FCM_TOKEN_URL ?? account.token_uri,
    apiBase: config.FCM_API_BASE_URL.replace(/\/+$/, ""),
  };
}

const cacheKey = ({ account, tokenUrl }: FcmAccount) => `${tokenUrl} ${account.client_email}`;

/** A live access token at `now`: the cached one, or a new one (one exchange at a time). */
export async function fcmAccessToken(fcm: FcmAccount, now: number): Promise<string> {
  const key = cacheKey(fcm);
  const cached = tokens.get(key);
  if (cached && cached.expiresAt - TOKEN_MARGIN > now) return cached.token;
  let request = pending.get(key);
  if (!request) {
    request = exchange(fcm, now).finally(() => pending.delete(key));
    pending.set(key, request);
  }
  const fresh = await request;
  tokens.set(key, fresh);
  return fresh.token;
}

/** The cached token was refused (401): the next call makes a new one. */
export function forgetFcmToken(fcm: FcmAccount): void {
  tokens.delete(cacheKey(fcm));
}

function signingKey(account: ServiceAccount): Promise<CryptoKey> {
  const id = `${account.client_email} ${account.private_key_id ?? ""}`;
  let key = keys.get(id);
  if (!key) {
    key = importPKCS8(account.private_key, "RS256");
    // A key that does not import is not kept: the error is the configuration's, every time.
    key.catch(() => keys.delete(id));
    keys.set(id, key);
  }
  return key;
}

/** The signed assertion: the account asks for the messaging scope, for the token endpoint. */
export async function fcmAssertion(fcm: FcmAccount, now: number): Promise<string> {
  const { account, tokenUrl } = fcm;
  let key: CryptoKey;
  try {
    key = await signingKey(account);
  } catch {
    throw new ChannelError("FCM_SERVICE_ACCOUNT's private_key is not a PKCS#8 RSA key", true);
  }
  const iat = Math.floor(now / SECOND);
  return new SignJWT({ scope: FCM_SCOPE })
    .setProtectedHeader({
      alg: "RS256",
      typ: "JWT",
      ...(account.private_key_id ? { kid: account.private_key_id } : {}),
    })
    .setIssuer(account.client_email)
    .setAudience(tokenUrl)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ASSERTION_SECONDS)
    .sign(key);
}

async function exchange(fcm: FcmAccount, now: number): Promise<CachedToken> {
  const assertion = await fcmAssertion(fcm, now);
  const response = await reach("Google OAuth", fcm.tokenUrl, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: new URLSearchParams({
      grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
      assertion,
    }).toString(),
  });
  const body = await readJson(response);
  const token = member(body, "access_token");
  if (!response.ok || typeof token !== "string") {
    const error = member(body, "error");
    throw new ChannelError(
      `Google OAuth answered ${response.status}${typeof error === "string" ? ` (${error})` : ""}`,
      response.ok ? false : permanentStatus(response.status),
    );
  }
  const expiresIn = member(body, "expires_in");
  const seconds = typeof expiresIn === "number" && expiresIn > 0 ? expiresIn : ASSERTION_SECONDS;
  return { token, expiresAt: now + seconds * SECOND };
}
