import { base64Decode, base64Encode, timingSafeEqualBytes } from "../lib/crypto";

// Stored as `pbkdf2_sha256$<iterations>$<salt>$<base64 hash>` — Django's format, so hashes
// carried over from the Django systems this replaces verify too (up to workerd's cap), and the
// iteration count travels with each hash so it can be raised: a login with an older count
// rehashes. 100,000 is the most PBKDF2 iterations workerd's WebCrypto allows.
export const PASSWORD_ITERATIONS = 100_000;
const MAX_ITERATIONS = 100_000;
const ALGORITHM = "pbkdf2_sha256";
const encoder = new TextEncoder();

async function derive(password: string, salt: string, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(password), "PBKDF2", false, [
    "deriveBits",
  ]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: encoder.encode(salt), iterations },
    key,
    256,
  );
  return new Uint8Array(bits);
}

function randomSalt(): string {
  // 16 random bytes as base64 without padding: printable, like Django's salts.
  return base64Encode(crypto.getRandomValues(new Uint8Array(16))).replace(/=+$/, "");
}

export async function hashPassword(
  password: string,
  iterations = PASSWORD_ITERATIONS,
): Promise<string> {
  const salt = randomSalt();
  const hash = await derive(password, salt, iterations);
  return `${ALGORITHM}$${iterations}$${salt}$${base64Encode(hash)}`;
}

interface ParsedHash {
  iterations: number;
  salt: string;
  hash: Uint8Array;
}

function parse(stored: string): ParsedHash | null {
  const [algorithm, iterationsText, salt, hashText] = stored.split("$");
  const iterations = Number(iterationsText);
  if (algorithm !== ALGORITHM || !salt || !hashText) return null;
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) return null;
  try {
    return { iterations, salt, hash: base64Decode(hashText) };
  } catch {
    return null;
  }
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed) {
    // Spend the same work as a real check, so a broken or empty hash is not a timing signal.
    await derive(password, "0000000000000000", PASSWORD_ITERATIONS);
    return false;
  }
  const candidate = await derive(password, parsed.salt, parsed.iterations);
  return timingSafeEqualBytes(candidate, parsed.hash);
}

export function needsRehash(stored: string): boolean {
  const parsed = parse(stored);
  return parsed !== null && parsed.iterations < PASSWORD_ITERATIONS;
}

/**
 * A login for an unknown email still runs one full derivation against this, so "no such user"
 * and "wrong password" take the same time. Its own password is unknowable: it is never valid.
 */
export const UNUSABLE_PASSWORD_HASH = `${ALGORITHM}$${PASSWORD_ITERATIONS}$unusable$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=`;
