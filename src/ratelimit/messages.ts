// What the RateLimiter object is asked and what it answers: the RPC contract, apart from the
// object itself so that callers (and the generated Env) need not load the class.
import type { Standing } from "../db/schema";
import type { Locale } from "../i18n";
import type { Limits, WindowState } from "../lib/windows";

export type Credential = { kind: "session"; sid: string } | { kind: "api_key"; hash: string };

export interface ConsumeRequest {
  /** `user:<id>` or `ip:<address>`; the object remembers it for flushing usage. */
  subject: string;
  now: number;
  cost: number;
  /** Checked here, in the same call: a revoked session or key never gets through. */
  credential?: Credential;
  /** Routes a suspended subscriber may still use (auth, billing, /v1/me). */
  allowSuspended?: boolean;
  /** Anonymous subjects have no plan: their limits come with the request. */
  limits?: Limits;
}

/** The answer for a request that was authenticated and counted (or refused for its limits). */
export interface CountedResult {
  outcome: "allowed" | "limited" | "payment_required";
  standing: Standing;
  windows: WindowState[];
  violations: WindowState[];
  keyId: string | null;
  /** The user's stored language (null: none chosen, or an anonymous subject). */
  locale: Locale | null;
}

export type ConsumeResult =
  | { outcome: "unauthenticated" }
  | { outcome: "account_disabled" }
  | CountedResult;

export interface BucketResult {
  allowed: boolean;
  name: string;
  limit: number | null;
  used: number;
  reset_at: number;
}

export interface UsageSnapshot {
  subject: string | null;
  plan: string | null;
  standing: Standing;
  windows: WindowState[];
  history: { date: string; allowed: number; denied: number }[];
}
