import { base64UrlEncode, hmacSha256Key, randomToken, timingSafeEqualStrings } from "../lib/crypto";

// `tgk_<owner>_<secret>_<tag>`: the key names its owner, so the request goes straight to the
// owner's RateLimiter object, which holds the hashes of the live keys — no D1 query to verify
// one. The tag is an HMAC of the rest under API_KEY_SECRET, checked in the isolate first: a
// made-up key never reaches an object (no object created, no D1 read, nothing to flood).
const KEY_PATTERN = /^(tgk_([0-9a-z]{20,32})_[A-Za-z0-9_-]{43})_([A-Za-z0-9_-]{22})$/;

const encoder = new TextEncoder();
async function tag(body: string, secret: string): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", await hmacSha256Key(secret), encoder.encode(body));
  return base64UrlEncode(new Uint8Array(mac).slice(0, 16));
}

export async function mintApiKey(userId: string, secret: string): Promise<string> {
  const body = `tgk_${userId.slice("usr_".length)}_${randomToken(32)}`;
  return `${body}_${await tag(body, secret)}`;
}

/** The owner's user id when the key is one this deployment minted; null otherwise. */
export async function apiKeyOwner(key: string, secret: string): Promise<string | null> {
  const match = KEY_PATTERN.exec(key);
  if (!match?.[1] || !match[2] || !match[3]) return null;
  const expected = await tag(match[1], secret);
  return timingSafeEqualStrings(expected, match[3]) ? `usr_${match[2]}` : null;
}

export function looksLikeApiKey(value: string): boolean {
  return value.startsWith("tgk_");
}

/** What a listing shows of a key: enough to recognize it, useless to an attacker. */
export function apiKeyPrefix(key: string): string {
  return `${key.slice(0, 12)}…${key.slice(-4)}`;
}
