import { describe, expect, it } from "vitest";
import {
  hashPassword,
  needsRehash,
  PASSWORD_ITERATIONS,
  UNUSABLE_PASSWORD_HASH,
  verifyPassword,
} from "../src/auth/passwords";
import { ConfigError, type Env, loadConfig } from "../src/env";
import { base64Encode, sha256Hex, timingSafeEqualStrings } from "../src/lib/crypto";
import { ApiError, PROBLEM_CONTENT_TYPE, problemResponse } from "../src/lib/errors";
import { newId } from "../src/lib/ids";
import { decodeCursor, encodeCursor } from "../src/lib/pagination";

const KEY_A = "key-a:0123456789abcdef0123456789abcdef";
const KEY_B = "key-b:fedcba9876543210fedcba9876543210";

/** A plain object standing in for the Worker's env: only strings, like real vars. */
/** Vars as wrangler would pass them; API_KEY_SECRET is required, so it is always there. */
function fakeEnv(vars: Record<string, string | undefined>): Env {
  return { API_KEY_SECRET: "unit-test-api-key-secret-0123456789abc", ...vars } as unknown as Env;
}

/** The ApiError a function throws (fails the test when it throws something else or nothing). */
function apiErrorOf(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw new Error(`expected an ApiError, got ${String(error)}`);
  }
  throw new Error("expected an ApiError, nothing was thrown");
}

function configErrorOf(env: Env): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw new Error(`expected a ConfigError, got ${String(error)}`);
  }
  throw new Error("expected a ConfigError, loadConfig accepted the configuration");
}

describe("newId", () => {
  const ALPHABET = /^[0-9abcdefghjkmnpqrstvwxyz]+$/;

  it("is the prefix, an underscore and 26 base32 characters", () => {
    for (const prefix of ["usr", "ses", "rtk", "atk", "eml", "aud", "req", "pln", "key"] as const) {
      const id = newId(prefix);
      expect(id.startsWith(`${prefix}_`)).toBe(true);
      expect(id).toHaveLength(prefix.length + 1 + 26);
      expect(id.slice(prefix.length + 1)).toMatch(ALPHABET);
    }
  });

  it("uses only lowercase Crockford characters (no i, l, o, u) and ends on a 3-bit tail", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const body = newId("usr").slice(4);
      expect(body).toMatch(/^[0-9a-hjkmnp-tv-z]{26}$/);
      // 128 bits = 25 full 5-bit characters + 3 bits, padded with two zero bits.
      expect("048cgmrw").toContain(body.at(-1));
      for (const ch of body) seen.add(ch);
    }
    // 1000 random ids use the whole 32-character alphabet.
    expect(seen.size).toBe(32);
  });

  it("gives 1000 distinct ids", () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newId("ses")));
    expect(ids.size).toBe(1000);
  });
});

describe("passwords", () => {
  it("hashes in the pbkdf2_sha256$100000$salt$hash format and verifies the same password", async () => {
    const stored = await hashPassword("correct horse battery staple");
    const parts = stored.split("$");
    expect(parts).toHaveLength(4);
    expect(parts[0]).toBe("pbkdf2_sha256");
    expect(parts[1]).toBe("100000");
    expect(PASSWORD_ITERATIONS).toBe(100_000);
    expect(parts[2]).toMatch(/^[A-Za-z0-9+/]{22}$/);
    // 32 bytes of PBKDF2 output, base64 with padding.
    expect(parts[3]).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(await verifyPassword("correct horse battery staple", stored)).toBe(true);
  });

  it("rejects a wrong password", async () => {
    const stored = await hashPassword("correct horse battery staple");
    expect(await verifyPassword("correct horse battery stapler", stored)).toBe(false);
    expect(await verifyPassword("", stored)).toBe(false);
  });

  it("salts: the same password hashes differently each time, and both verify", async () => {
    const a = await hashPassword("same password");
    const b = await hashPassword("same password");
    expect(a).not.toBe(b);
    expect(await verifyPassword("same password", a)).toBe(true);
    expect(await verifyPassword("same password", b)).toBe(true);
  });

  it("verifies a known PBKDF2-HMAC-SHA256 vector (1000 iterations)", async () => {
    // PBKDF2-HMAC-SHA256("password", "salt", 1000, 32 bytes), computed with Node's crypto.
    const known = "pbkdf2_sha256$1000$salt$YywoEuRtRgQQK6dhjp1tfS+BKPYma0oDJk0qBGC33LM=";
    expect(await verifyPassword("password", known)).toBe(true);
    expect(await verifyPassword("Password", known)).toBe(false);
  });

  it("needsRehash: true for a 1000-iteration hash, false for the current count", async () => {
    const old = await hashPassword("rehash me", 1000);
    expect(old.startsWith("pbkdf2_sha256$1000$")).toBe(true);
    expect(await verifyPassword("rehash me", old)).toBe(true);
    expect(needsRehash(old)).toBe(true);
    expect(needsRehash(await hashPassword("rehash me"))).toBe(false);
  });

  it("a malformed, empty or foreign hash never verifies", async () => {
    const good = await hashPassword("pw");
    const [, , salt, hash] = good.split("$");
    for (const stored of [
      "",
      "garbage",
      "$$$",
      `pbkdf2_sha256$100000$${salt}`,
      `pbkdf2_sha256$100000$${salt}$`,
      `pbkdf2_sha256$100000$$${hash}`,
      `pbkdf2_sha256$abc$${salt}$${hash}`,
      `pbkdf2_sha256$0$${salt}$${hash}`,
      `pbkdf2_sha256$-5$${salt}$${hash}`,
      `pbkdf2_sha256$1.5$${salt}$${hash}`,
      `pbkdf2_sha1$100000$${salt}$${hash}`,
      `argon2$100000$${salt}$${hash}`,
      `pbkdf2_sha256$100000$${salt}$!!!not-base64!!!`,
    ]) {
      expect(await verifyPassword("pw", stored), stored).toBe(false);
      expect(needsRehash(stored), stored).toBe(false);
    }
  });

  it("accepts exactly 100000 iterations and rejects more (workerd's PBKDF2 cap)", async () => {
    // PBKDF2-HMAC-SHA256("pw", "somesalt", n, 32 bytes) for n = 100000 and 100001, computed
    // with Node's crypto: the second is a correct hash that must still be refused.
    const atCap = "pbkdf2_sha256$100000$somesalt$AfhEIwRHsnkxoDgZEgepx0fGeFKuVL+aemTtIHdWyaQ=";
    const aboveCap = "pbkdf2_sha256$100001$somesalt$jc03oHxpJk9a1NWDsmcHfJWTVMmliNJWUXNKZGWdmJg=";
    expect(await verifyPassword("pw", atCap)).toBe(true);
    expect(await verifyPassword("pw", aboveCap)).toBe(false);
    expect(needsRehash(aboveCap)).toBe(false);
    const zeros = base64Encode(new Uint8Array(32));
    expect(await verifyPassword("pw", `pbkdf2_sha256$600000$somesalt$${zeros}`)).toBe(false);
  });

  it("the unusable hash parses but matches no password", async () => {
    expect(needsRehash(UNUSABLE_PASSWORD_HASH)).toBe(false);
    expect(await verifyPassword("", UNUSABLE_PASSWORD_HASH)).toBe(false);
    expect(await verifyPassword("unusable", UNUSABLE_PASSWORD_HASH)).toBe(false);
  });
});

describe("crypto", () => {
  it("sha256Hex matches the FIPS 180-2 vectors", async () => {
    expect(await sha256Hex("abc")).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    expect(await sha256Hex("")).toBe(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
  });

  it("timingSafeEqualStrings compares exactly, whatever the lengths", () => {
    expect(timingSafeEqualStrings("secret-token", "secret-token")).toBe(true);
    expect(timingSafeEqualStrings("", "")).toBe(true);
    expect(timingSafeEqualStrings("secret-token", "secret-tokeN")).toBe(false);
    expect(timingSafeEqualStrings("secret-token", "secret-token-longer")).toBe(false);
    expect(timingSafeEqualStrings("a", "")).toBe(false);
    // Same UTF-16 length, different UTF-8 bytes.
    expect(timingSafeEqualStrings("é", "e")).toBe(false);
    expect(timingSafeEqualStrings("é", "é")).toBe(true);
  });
});

describe("pagination cursors", () => {
  it("round-trip for ids of every length (every base64 padding case)", () => {
    for (const id of ["usr_a", "usr_ab", "usr_abc", "aud_0123456789abcdefghjkmnpqrs"]) {
      for (const createdAt of [0, 1, 1_700_000_000_123, Number.MAX_SAFE_INTEGER]) {
        const cursor = encodeCursor({ createdAt, id });
        expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(decodeCursor(cursor)).toEqual({ createdAt, id });
      }
    }
  });

  it("no cursor is no cursor", () => {
    expect(decodeCursor(undefined)).toBeNull();
  });

  it("garbage is a 400 invalid_request naming the cursor field", () => {
    const utf8 = (s: string) =>
      btoa(s).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
    for (const text of [
      "",
      "!!!",
      "not-a-cursor",
      utf8("1700000000000"),
      utf8(".usr_abc"),
      utf8("abc.usr_abc"),
      utf8("1.5.usr_abc"),
      utf8("1700000000000.USR_ABC"),
      utf8("1700000000000.usr_abc' or 1=1 --"),
      utf8("99999999999999999999.usr_abc"),
    ]) {
      const error = apiErrorOf(() => decodeCursor(text));
      expect(error.code, text).toBe("invalid_request");
      expect(error.status).toBe(400);
      expect(error.toProblem().errors).toEqual([{ path: "cursor", message: "invalid cursor" }]);
    }
  });
});

describe("ApiError", () => {
  it("toProblem is an RFC 9457 problem with the code's status and title", () => {
    const error = new ApiError("not_found", "User not found");
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toBe("User not found");
    expect(error.toProblem("/v1/admin/users/usr_x", "req-1")).toStrictEqual({
      type: "https://tollgate.dev/problems/not_found",
      title: "Not found",
      status: 404,
      detail: "User not found",
      code: "not_found",
      instance: "/v1/admin/users/usr_x",
      request_id: "req-1",
    });
  });

  it("leaves out what it was not given", () => {
    const error = new ApiError("rate_limited");
    expect(error.message).toBe("Too many requests");
    expect(error.toProblem()).toStrictEqual({
      type: "https://tollgate.dev/problems/rate_limited",
      title: "Too many requests",
      status: 429,
      code: "rate_limited",
    });
  });

  it("carries field errors and extensions, which cannot override the standard members", () => {
    const error = new ApiError("invalid_request", "Invalid json", {
      errors: [{ path: "email", message: "Invalid email" }],
      extensions: { retry_after: 5, status: 200, code: "hijacked", title: "x" },
    });
    expect(error.toProblem("/v1/auth/signup")).toStrictEqual({
      retry_after: 5,
      type: "https://tollgate.dev/problems/invalid_request",
      title: "The request is invalid",
      status: 400,
      detail: "Invalid json",
      code: "invalid_request",
      instance: "/v1/auth/signup",
      errors: [{ path: "email", message: "Invalid email" }],
    });
  });

  it("problemResponse sets status, problem+json and the error's headers", async () => {
    const error = new ApiError("method_not_allowed", "POST is not allowed here", {
      headers: { allow: "GET" },
    });
    const response = problemResponse(error, { instance: "/x", requestId: "req-2" });
    expect(response.status).toBe(405);
    expect(response.headers.get("content-type")).toBe(PROBLEM_CONTENT_TYPE);
    expect(response.headers.get("allow")).toBe("GET");
    expect(await response.json()).toStrictEqual({
      type: "https://tollgate.dev/problems/method_not_allowed",
      title: "Method not allowed",
      status: 405,
      detail: "POST is not allowed here",
      code: "method_not_allowed",
      instance: "/x",
      request_id: "req-2",
    });
  });
});

describe("loadConfig", () => {
  it("fills defaults when only the signing keys are set", () => {
    const config = loadConfig(fakeEnv({ JWT_SIGNING_KEYS: KEY_A }));
    // The settings this suite knows about; others may be added to the schema over time.
    expect(config.EMAIL_API_KEY).toBeUndefined();
    expect(config).toMatchObject({
      APP_ENV: "production",
      APP_URL: "http://localhost:8787",
      JWT_ISSUER: "tollgate",
      JWT_AUDIENCE: "tollgate-api",
      JWT_SIGNING_KEYS: [{ kid: "key-a", secret: "0123456789abcdef0123456789abcdef" }],
      ACCESS_TOKEN_TTL_SECONDS: 900,
      REFRESH_TOKEN_TTL_DAYS: 30,
      CORS_ORIGINS: [],
      ADMIN_EMAILS: [],
      MAX_BODY_BYTES: 65536,
      EMAIL_PROVIDER: "log",
      EMAIL_FROM: "tollgate <no-reply@localhost>",
      EMAIL_API_BASE_URL: "https://api.resend.com",
      REQUEST_LOGS: "on",
    });
  });

  it("parses numbers, lists and several keys (the first one signs)", () => {
    const config = loadConfig(
      fakeEnv({
        APP_ENV: "test",
        ACCESS_TOKEN_TTL_SECONDS: "60",
        REFRESH_TOKEN_TTL_DAYS: "7",
        MAX_BODY_BYTES: "1024",
        CORS_ORIGINS: " https://a.test , https://b.test,, ",
        ADMIN_EMAILS: "Root@Example.COM, ops@example.com ,",
        JWT_SIGNING_KEYS: ` ${KEY_B} , ${KEY_A} `,
      }),
    );
    expect(config.APP_ENV).toBe("test");
    expect(config.ACCESS_TOKEN_TTL_SECONDS).toBe(60);
    expect(config.REFRESH_TOKEN_TTL_DAYS).toBe(7);
    expect(config.MAX_BODY_BYTES).toBe(1024);
    expect(config.CORS_ORIGINS).toStrictEqual(["https://a.test", "https://b.test"]);
    expect(config.ADMIN_EMAILS).toStrictEqual(["root@example.com", "ops@example.com"]);
    expect(config.JWT_SIGNING_KEYS).toStrictEqual([
      { kid: "key-b", secret: "fedcba9876543210fedcba9876543210" },
      { kid: "key-a", secret: "0123456789abcdef0123456789abcdef" },
    ]);
  });

  it("a secret may itself contain colons (only the first colon separates the kid)", () => {
    const config = loadConfig(
      fakeEnv({ JWT_SIGNING_KEYS: "k1:abc:def:0123456789abcdef0123456789" }),
    );
    expect(config.JWT_SIGNING_KEYS).toStrictEqual([
      { kid: "k1", secret: "abc:def:0123456789abcdef0123456789" },
    ]);
  });

  it("parses each env object once (cached), and each env separately", () => {
    const env = fakeEnv({ JWT_SIGNING_KEYS: KEY_A });
    expect(loadConfig(env)).toBe(loadConfig(env));
    expect(loadConfig(fakeEnv({ JWT_SIGNING_KEYS: KEY_A }))).not.toBe(loadConfig(env));
  });

  it("a missing JWT_SIGNING_KEYS is a ConfigError naming it", () => {
    const error = configErrorOf(fakeEnv({}));
    expect(error.message).toContain("JWT_SIGNING_KEYS");
    expect(error.message).toContain("required");
  });

  it.each([
    ["empty", ""],
    ["only commas", " , ,"],
    ["a short secret", "k1:too-short-secret"],
    ["one good key and one short", `${KEY_A},k2:short`],
    ["an empty kid", ":0123456789abcdef0123456789abcdef"],
    ["an empty secret", "k1:"],
    ["no kid separator at all", "0123456789abcdef0123456789abcdef0123456789"],
  ])("JWT_SIGNING_KEYS with %s is a ConfigError that does not echo the value", (_, value) => {
    const error = configErrorOf(fakeEnv({ JWT_SIGNING_KEYS: value }));
    expect(error.message).toContain("JWT_SIGNING_KEYS");
    expect(error.message).toContain("'kid:secret' pairs");
    for (const part of value.split(/[,:]/).filter((p) => p.trim().length >= 6)) {
      expect(error.message).not.toContain(part.trim());
    }
  });

  it.each([
    ["APP_ENV", "staging"],
    ["APP_URL", "not a url"],
    ["ACCESS_TOKEN_TTL_SECONDS", "0"],
    ["ACCESS_TOKEN_TTL_SECONDS", "ten"],
    ["REFRESH_TOKEN_TTL_DAYS", "1.5"],
    ["MAX_BODY_BYTES", "-1"],
    ["EMAIL_PROVIDER", "smtp"],
    ["REQUEST_LOGS", "yes"],
  ])("%s=%s is a ConfigError naming the variable", (name, value) => {
    const error = configErrorOf(fakeEnv({ JWT_SIGNING_KEYS: KEY_A, [name]: value }));
    expect(error.message).toContain(`${name}:`);
  });

  it("EMAIL_PROVIDER=resend needs EMAIL_API_KEY", () => {
    const error = configErrorOf(fakeEnv({ JWT_SIGNING_KEYS: KEY_A, EMAIL_PROVIDER: "resend" }));
    expect(error.message).toContain("EMAIL_API_KEY is required");
    const config = loadConfig(
      fakeEnv({ JWT_SIGNING_KEYS: KEY_A, EMAIL_PROVIDER: "resend", EMAIL_API_KEY: "re_123" }),
    );
    expect(config.EMAIL_PROVIDER).toBe("resend");
    expect(config.EMAIL_API_KEY).toBe("re_123");
  });
});
