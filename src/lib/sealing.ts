// Secrets tollgate must read back (to sign with them), sealed at rest: AES-256-GCM under a key
// derived with HKDF-SHA256 from a configured secret and a purpose, so one configured secret can
// seal several kinds of data without their keys ever being the same. The associated data binds
// a sealed value to its row: a ciphertext copied to another row does not open.
import { base64Decode, base64Encode } from "./crypto";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const VERSION = "v1";

const keys = new Map<string, Promise<CryptoKey>>();

/** The AES key for (secret, purpose), derived once per isolate. */
function sealingKey(secret: string, purpose: string): Promise<CryptoKey> {
  const id = `${purpose}\u0000${secret}`;
  let key = keys.get(id);
  if (!key) {
    key = (async () => {
      const material = await crypto.subtle.importKey("raw", encoder.encode(secret), "HKDF", false, [
        "deriveKey",
      ]);
      return crypto.subtle.deriveKey(
        {
          name: "HKDF",
          hash: "SHA-256",
          salt: new Uint8Array(32),
          info: encoder.encode(`tollgate ${purpose}`),
        },
        material,
        { name: "AES-GCM", length: 256 },
        false,
        ["encrypt", "decrypt"],
      );
    })();
    keys.set(id, key);
  }
  return key;
}

export interface SealingKey {
  /** The configured secret the key is derived from. */
  secret: string;
  /** What is sealed with it (part of the derivation): "action signing secrets". */
  purpose: string;
}

/** `v1.<iv>.<ciphertext>` (base64), bound to `context` (e.g. the row's id). */
export async function seal(key: SealingKey, plaintext: string, context: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: encoder.encode(context) },
    await sealingKey(key.secret, key.purpose),
    encoder.encode(plaintext),
  );
  return `${VERSION}.${base64Encode(iv)}.${base64Encode(new Uint8Array(sealed))}`;
}

/** The plaintext; throws when the value was not sealed with this key for this context. */
export async function unseal(key: SealingKey, sealed: string, context: string): Promise<string> {
  const [version, iv, data] = sealed.split(".");
  if (version !== VERSION || !iv || !data) throw new Error("not a sealed value");
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: base64Decode(iv), additionalData: encoder.encode(context) },
    await sealingKey(key.secret, key.purpose),
    base64Decode(data),
  );
  return decoder.decode(plain);
}
