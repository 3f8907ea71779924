// Access tokens: their claims and signature, and every forged, tampered, expired or
// wrongly-signed token refused; the previous signing key still accepted.
import { base64url, decodeJwt, decodeProtectedHeader, SignJWT } from "jose";
import { describe, expect, it, vi } from "vitest";
import { MINUTE, me, refresh, sessionIdOf } from "./auth-helpers";
import { setUserStatus } from "./fixtures";
import { api, expectProblem, signup, type TestUser } from "./helpers";

const KEY_CURRENT = { kid: "test-2", secret: "test-signing-key-number-two-0123456789" };
const KEY_PREVIOUS = { kid: "test-1", secret: "test-signing-key-number-one-0123456789" };

interface ForgeOptions {
  kid?: string | undefined;
  secret?: string;
  alg?: "HS256" | "HS384" | "HS512";
  iss?: string | undefined;
  aud?: string | undefined;
  sub?: string | undefined;
  role?: unknown;
  sid?: unknown;
  iatSeconds?: number;
  expSeconds?: number;
}

/** Signs an access token the way src/auth/tokens.ts does, with any part overridable. */
async function forgeToken(user: TestUser, options: ForgeOptions = {}): Promise<string> {
  const nowSeconds = Math.floor(Date.now() / 1000);
  const iat = options.iatSeconds ?? nowSeconds;
  const claims: Record<string, unknown> = {};
  const role = "role" in options ? options.role : "user";
  const sid = "sid" in options ? options.sid : sessionIdOf(user.accessToken);
  if (role !== undefined) claims.role = role;
  if (sid !== undefined) claims.sid = sid;
  // Header and claims in the order src/auth/tokens.ts writes them, so a token forged with the
  // defaults is byte-for-byte the one the server would sign.
  const alg = options.alg ?? "HS256";
  const kid = "kid" in options ? options.kid : KEY_CURRENT.kid;
  const header = kid === undefined ? { alg, typ: "JWT" } : { alg, kid, typ: "JWT" };
  let jwt = new SignJWT(claims).setProtectedHeader(header);
  const sub = "sub" in options ? options.sub : user.id;
  if (sub !== undefined) jwt = jwt.setSubject(sub);
  const iss = "iss" in options ? options.iss : "tollgate";
  if (iss !== undefined) jwt = jwt.setIssuer(iss);
  const aud = "aud" in options ? options.aud : "tollgate-api";
  if (aud !== undefined) jwt = jwt.setAudience(aud);
  jwt = jwt.setIssuedAt(iat).setExpirationTime(options.expSeconds ?? iat + 900);
  return jwt.sign(new TextEncoder().encode(options.secret ?? KEY_CURRENT.secret));
}

function encodeSegment(value: unknown): string {
  return base64url.encode(JSON.stringify(value));
}

/** Replaces one character in the middle of a segment of a JWT with a different one. */
function flipChar(token: string, segment: 0 | 1 | 2): string {
  const parts = token.split(".");
  const part = parts[segment] ?? "";
  const index = Math.floor(part.length / 2);
  const original = part[index];
  const replacement = original === "A" ? "B" : "A";
  parts[segment] = `${part.slice(0, index)}${replacement}${part.slice(index + 1)}`;
  return parts.join(".");
}

// ---------------------------------------------------------------------------------------------
// Access tokens
// ---------------------------------------------------------------------------------------------

describe("access tokens", () => {
  it("are HS256 JWTs with kid, iss, aud, sub, role, sid and a 15 minute lifetime", async () => {
    const user = await signup("jwt");
    const header = decodeProtectedHeader(user.accessToken);
    expect(header).toMatchObject({ alg: "HS256", kid: "test-2" });
    const claims = decodeJwt(user.accessToken);
    expect(claims).toMatchObject({
      iss: "tollgate",
      aud: "tollgate-api",
      sub: user.id,
      role: "user",
      sid: expect.stringMatching(/^ses_/),
    });
    expect(typeof claims.iat).toBe("number");
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(900);
    expect(Math.abs((claims.iat ?? 0) - Date.now() / 1000)).toBeLessThan(60);
    // The signature is the current key's.
    const forged = await forgeToken(user, {
      iatSeconds: claims.iat ?? 0,
      expSeconds: claims.exp ?? 0,
    });
    expect(forged.split(".")[2]).toBe(user.accessToken.split(".")[2]);
  });

  it("a correctly forged token with the current key is accepted (control)", async () => {
    const user = await signup("control");
    const res = await me(await forgeToken(user));
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(user.id);
  });

  it("missing token: 401 unauthorized", async () => {
    const res = await me();
    expectProblem(res, 401, "unauthorized");
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="tollgate"');
  });

  it("a non-Bearer Authorization header is 401 unauthorized", async () => {
    const user = await signup("basic");
    const res = await api("GET", "/v1/me", {
      headers: { authorization: `Basic ${user.accessToken}` },
    });
    expectProblem(res, 401, "unauthorized");
  });

  it("garbage token: 401 invalid_token", async () => {
    const res = await me("garbage");
    expectProblem(res, 401, "invalid_token");
    expect(res.headers.get("www-authenticate") ?? "").toContain('error="invalid_token"');
  });

  it("tampered payload (one character changed): 401 invalid_token", async () => {
    const user = await signup("tamper");
    expectProblem(await me(flipChar(user.accessToken, 1)), 401, "invalid_token");
  });

  it("payload re-encoded with role admin, old signature kept: 401 invalid_token", async () => {
    const user = await signup("escalate");
    const [header, payload, signature] = user.accessToken.split(".");
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload ?? "")));
    const tampered = `${header}.${encodeSegment({ ...claims, role: "admin" })}.${signature}`;
    expectProblem(await me(tampered), 401, "invalid_token");
  });

  it("tampered signature: 401 invalid_token", async () => {
    const user = await signup("tampersig");
    expectProblem(await me(flipChar(user.accessToken, 2)), 401, "invalid_token");
  });

  it("expired (16 minutes later): 401 invalid_token; 14 minutes later still valid", async () => {
    const start = Date.now();
    vi.setSystemTime(start);
    const user = await signup("expiry");
    vi.setSystemTime(start + 14 * MINUTE);
    expect((await me(user.accessToken)).status).toBe(200);
    vi.setSystemTime(start + 16 * MINUTE);
    expectProblem(await me(user.accessToken), 401, "invalid_token");
    // The refresh token still gets a new, working access token.
    const refreshed = await refresh(user.refreshToken);
    expect(refreshed.status).toBe(200);
    expect((await me(refreshed.body.access_token)).status).toBe(200);
  });

  it.each<[string, ForgeOptions]>([
    ["wrong audience", { aud: "someone-else" }],
    ["no audience", { aud: undefined }],
    ["wrong issuer", { iss: "evil" }],
    ["no issuer", { iss: undefined }],
    ["unknown kid", { kid: "test-9" }],
    ["no kid", { kid: undefined }],
    ["wrong secret for the kid", { secret: "some-other-signing-key-0123456789abcdef" }],
    ["previous kid with the current key's secret", { kid: "test-1" }],
    ["HS512 with the right key", { alg: "HS512" }],
    ["HS384 with the right key", { alg: "HS384" }],
    ["unknown role", { role: "superuser" }],
    ["no role", { role: undefined }],
    ["no sid", { sid: undefined }],
    ["numeric sid", { sid: 42 }],
    ["no sub", { sub: undefined }],
    [
      "already expired",
      {
        iatSeconds: Math.floor(Date.now() / 1000) - 3600,
        expSeconds: Math.floor(Date.now() / 1000) - 60,
      },
    ],
  ])("%s: 401 invalid_token", async (_label, options) => {
    const user = await signup("forged");
    expectProblem(await me(await forgeToken(user, options)), 401, "invalid_token");
  });

  it("alg none: 401 invalid_token", async () => {
    const user = await signup("algnone");
    const claims = decodeJwt(user.accessToken);
    const token = `${encodeSegment({ alg: "none", typ: "JWT", kid: "test-2" })}.${encodeSegment(claims)}.`;
    expectProblem(await me(token), 401, "invalid_token");
    const withoutKid = `${encodeSegment({ alg: "none", typ: "JWT" })}.${encodeSegment(claims)}.`;
    expectProblem(await me(withoutKid), 401, "invalid_token");
  });

  it("a token signed with the previous key (kid test-1) is still accepted", async () => {
    const user = await signup("rotation");
    const token = await forgeToken(user, {
      kid: KEY_PREVIOUS.kid,
      secret: KEY_PREVIOUS.secret,
    });
    const res = await me(token);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: user.id, email: user.email });
  });

  it("a disabled user's still-valid access token gets 403 account_disabled on /v1/me", async () => {
    const user = await signup("medisabled");
    await setUserStatus(user.id, "disabled");
    expectProblem(await me(user.accessToken), 403, "account_disabled");
  });
});
