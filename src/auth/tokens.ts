import { type JWTPayload, jwtVerify, SignJWT } from "jose";
import type { Config } from "../env";
import { hmacSha256Key } from "../lib/crypto";

// Access tokens: short-lived HS256 JWTs. The header carries `kid` so keys can rotate; the
// verifier accepts only HS256 (no `alg` confusion) and only keys it knows by kid.
const ALGORITHM = "HS256";

export type Role = "user" | "admin";

export interface AccessClaims {
  sub: string;
  role: Role;
  sid: string;
}

export interface VerifiedAccess extends AccessClaims {
  exp: number;
  iat: number;
}

export async function signAccessToken(
  config: Config,
  claims: AccessClaims,
  nowMs: number,
): Promise<string> {
  const [current] = config.JWT_SIGNING_KEYS;
  if (!current) throw new Error("no signing key");
  const iat = Math.floor(nowMs / 1000);
  return new SignJWT({ role: claims.role, sid: claims.sid })
    .setProtectedHeader({ alg: ALGORITHM, kid: current.kid, typ: "JWT" })
    .setSubject(claims.sub)
    .setIssuer(config.JWT_ISSUER)
    .setAudience(config.JWT_AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + config.ACCESS_TOKEN_TTL_SECONDS)
    .sign(await hmacSha256Key(current.secret));
}

function isRole(value: unknown): value is Role {
  return value === "user" || value === "admin";
}

/** Returns the claims, or null for any token that is not exactly one of ours and current. */
export async function verifyAccessToken(
  config: Config,
  token: string,
  nowMs: number,
): Promise<VerifiedAccess | null> {
  let payload: JWTPayload;
  try {
    const result = await jwtVerify(
      token,
      (header) => {
        const key = config.JWT_SIGNING_KEYS.find((k) => k.kid === header.kid);
        if (!key) throw new Error("unknown kid");
        return hmacSha256Key(key.secret);
      },
      {
        algorithms: [ALGORITHM],
        issuer: config.JWT_ISSUER,
        audience: config.JWT_AUDIENCE,
        currentDate: new Date(nowMs),
        requiredClaims: ["sub", "exp", "iat"],
      },
    );
    payload = result.payload;
  } catch {
    return null;
  }
  const { sub, role, sid, exp, iat } = payload;
  if (typeof sub !== "string" || typeof sid !== "string" || !isRole(role)) return null;
  if (typeof exp !== "number" || typeof iat !== "number") return null;
  return { sub, role, sid, exp, iat };
}
