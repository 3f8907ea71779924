import { randomToken } from "../lib/crypto";

// `tgk_<owner>_<secret>`: the key names its owner, so the request goes straight to the owner's
// RateLimiter object, which holds the hashes of the live keys — no D1 query to verify one.
const KEY_PATTERN = /^tgk_([0-9a-z]{20,32})_([A-Za-z0-9_-]{43})$/;

export function mintApiKey(userId: string): string {
  return `tgk_${userId.slice("usr_".length)}_${randomToken(32)}`;
}

/** The owner's user id, or null when the string is not shaped like one of our keys. */
export function apiKeyOwner(key: string): string | null {
  const match = KEY_PATTERN.exec(key);
  return match ? `usr_${match[1]}` : null;
}

export function looksLikeApiKey(value: string): boolean {
  return value.startsWith("tgk_");
}

/** What a listing shows of a key: enough to recognize it, useless to an attacker. */
export function apiKeyPrefix(key: string): string {
  return `${key.slice(0, 12)}…${key.slice(-4)}`;
}
