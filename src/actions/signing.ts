// What an upstream receives from tollgate, signed so it can tell tollgate's calls from anyone
// else's: `Tollgate-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(signing_secret,
// "<t>.<raw body>")>` (Stripe's scheme, so the same few lines verify it), plus the run's id.
import { hmacSha256Hex } from "../lib/crypto";

const encoder = new TextEncoder();

export const SIGNATURE_HEADER = "Tollgate-Signature";
export const RUN_ID_HEADER = "Tollgate-Run-Id";
export const USER_ID_HEADER = "Tollgate-User-Id";

/** The signature header's value for a body sent at `now` (ms). */
export async function signature(
  secret: string,
  body: string | Uint8Array,
  now: number,
): Promise<string> {
  const t = Math.floor(now / 1000);
  const prefix = encoder.encode(`${t}.`);
  const raw = typeof body === "string" ? encoder.encode(body) : body;
  const signed = new Uint8Array(prefix.byteLength + raw.byteLength);
  signed.set(prefix, 0);
  signed.set(raw, prefix.byteLength);
  return `t=${t},v1=${await hmacSha256Hex(secret, signed)}`;
}

/** The headers tollgate adds to every upstream call: signature and run id. */
export async function signedHeaders(
  secret: string,
  body: string | Uint8Array,
  runId: string,
  now: number,
): Promise<Record<string, string>> {
  return { [SIGNATURE_HEADER]: await signature(secret, body, now), [RUN_ID_HEADER]: runId };
}
