// An action's signing secret: shown to the admin once (on create and on rotate), stored sealed
// because tollgate signs every upstream call with it and so must read it back — a hash would
// not do. The sealing key is derived (HKDF) from API_KEY_SECRET, which must stay stable anyway
// (changing it invalidates every API key); with its own purpose the derived key is unrelated to
// the API-key tags. Changing API_KEY_SECRET therefore means rotating every action's secret.
import type { Config } from "../env";
import { randomToken } from "../lib/crypto";
import { type SealingKey, seal, unseal } from "../lib/sealing";

const PURPOSE = "action signing secrets";

const keyOf = (config: Pick<Config, "API_KEY_SECRET">): SealingKey => ({
  secret: config.API_KEY_SECRET,
  purpose: PURPOSE,
});

/** A new signing secret: 256 random bits, prefixed so it is recognisable in a vault. */
export function newSigningSecret(): string {
  return `tgsec_${randomToken(32)}`;
}

/** Sealed for storage in the action's row (bound to its id). */
export function sealSigningSecret(
  config: Pick<Config, "API_KEY_SECRET">,
  secret: string,
  actionId: string,
): Promise<string> {
  return seal(keyOf(config), secret, actionId);
}

export function openSigningSecret(
  config: Pick<Config, "API_KEY_SECRET">,
  sealed: string,
  actionId: string,
): Promise<string> {
  return unseal(keyOf(config), sealed, actionId);
}
