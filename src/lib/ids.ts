// Prefixed random ids: the prefix says what the id names, the rest is 128 bits of randomness
// in Crockford-free lowercase base32, so ids are URL-safe, unguessable and never sequential.
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

export type IdPrefix =
  | "usr"
  | "ses"
  | "rtk"
  | "atk"
  | "eml"
  | "aud"
  | "req"
  | "pln"
  | "key"
  | "sub"
  | "pay"
  | "evt"
  | "cpn"
  | "red"
  | "run"
  | "ntf"
  | "ndl"
  | "cal"
  | "rem"
  | "brd"
  | "dev";

export function newId(prefix: IdPrefix): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >> bits) & 31];
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return `${prefix}_${out}`;
}
