// What the RateLimiter object is asked and what it answers: the RPC contract, apart from the
// object itself so that callers (and the generated Env) need not load the class.
import type { LedgerType, Standing } from "../db/schema";
import type { Locale } from "../i18n";
import type { Limits, NamedWindow, WindowState } from "../lib/windows";

export type Credential = { kind: "session"; sid: string } | { kind: "api_key"; hash: string };

export interface ConsumeRequest {
  /** `user:<id>` or `ip:<address>`; the object remembers it for flushing usage. */
  subject: string;
  now: number;
  /** What the call counts in the plan's windows: 0 for an account route (counted nowhere there). */
  cost: number;
  /** Checked here, in the same call: a revoked session or key never gets through. */
  credential?: Credential;
  /** An account route, which a suspended subscriber may still use (to log in, pay, see it all). */
  allowSuspended?: boolean;
  /** Anonymous subjects have no plan: their limits come with the request. */
  limits?: Limits;
  /** A call with a window of its own (an action run, an account route), maybe a price. */
  admission?: Admission;
}

/** An amount of money in minor units of an ISO 4217 currency (lowercase). */
export interface Money {
  amount: number;
  currency: string;
}

/** A window of a call's own, beside the plan's: an action's runs, the account routes' calls. */
export interface OwnWindow {
  name: string;
  limit: number;
  windowMs: number;
  /** What the call counts in it (1 unless said). */
  cost?: number;
}

/**
 * What a call asks besides the plan's windows, decided in the same step: its own window and,
 * for a priced call (an action run), the price held from the wallet. A window alone needs no
 * reference (an account route); a hold or an Idempotency-Key is kept under one.
 */
export type Admission =
  | {
      window: OwnWindow;
      hold?: undefined;
      reference?: undefined;
      idempotencyKey?: undefined;
      feature?: undefined;
    }
  | {
      /** The call's own window, checked with the plan's (an action's: 10 a minute per user). */
      window?: OwnWindow;
      /** The price: held from the wallet only when every window admits; none counted when refused. */
      hold?: Money;
      /** The run id: the hold's key (capture / release by it) and the ledger entries' reference. */
      reference: string;
      /** A feature the user's plan must grant (a gated action): refused before anything counts. */
      feature?: string;
      /** The client's Idempotency-Key: a repeat from the same user within 24 h counts and holds
       *  nothing and answers { outcome: "replay", reference: <the first call's reference> }. */
      idempotencyKey?: string;
    };

/** The answer for a request that was authenticated and counted (or refused for its limits). */
export interface CountedResult {
  /**
   * `insufficient_funds`: every window admitted but the available balance in the price's
   * currency is below the price; nothing was counted and nothing held.
   */
  outcome:
    | "allowed"
    | "limited"
    | "payment_required"
    | "insufficient_funds"
    | "feature_not_in_plan";
  standing: Standing;
  /** The plan's four windows. */
  windows: WindowState[];
  /** The full windows: the plan's, and the admission's own window when it is full. */
  violations: NamedWindow[];
  keyId: string | null;
  /** The user's stored language (null: none chosen, or an anonymous subject). */
  locale: Locale | null;
  /** The admission's own window as it stands after this call (when the request named one). */
  window?: NamedWindow;
  /** The hold placed for the price: its id is the admission's reference. */
  holdId?: string;
  /** With `feature_not_in_plan`: the feature the plan lacks. */
  feature?: string;
  /** With `insufficient_funds`: the price and what was available in its currency. */
  funds?: { currency: string; price: number; available: number };
}

/** A repeated Idempotency-Key: nothing counted or held; the first call's reference. */
export interface ReplayResult {
  outcome: "replay";
  reference: string;
  /** The API key that was used, as on a counted result. */
  keyId?: string | null;
  locale?: Locale | null;
}

export type ConsumeResult =
  | { outcome: "unauthenticated" }
  | { outcome: "account_disabled" }
  | ReplayResult
  | CountedResult;

/** One wallet balance: what can be spent, and what is held for calls in flight. */
export type WalletBalance = {
  currency: string;
  available: number;
  held: number;
};

/**
 * One ledger row. `amount` is the change to the balance (available + held) for settled entries
 * (top_up, auto_recharge, capture, refund, adjustment); a hold and a release move money between
 * available and held, and their amount is the change to available (−p, +p).
 */
export type LedgerEntry = {
  id: string;
  type: LedgerType;
  amount: number;
  currency: string;
  available_after: number;
  held_after: number;
  reference: string;
  memo: string | null;
  created_at: number;
};

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

/** Credits and debits from outside the hot path: provider payments, refunds, adjustments. */
export type MovementType = Exclude<LedgerType, "hold" | "capture" | "release">;

/** A credit (amount > 0) or debit (amount < 0), once per type and reference. */
export type Movement = { type: MovementType; money: Money; reference: string; memo: string | null };

/** A movement's answer: the entry written, or the one an earlier call with its reference wrote. */
export type MovementResult =
  | { outcome: "applied" | "duplicate"; entry: LedgerEntry }
  | { outcome: "insufficient_funds"; balance: WalletBalance };

/** A user's auto-recharge: when a capture leaves less than `threshold` available, charge `amount`. */
export type AutoRechargeSettings = {
  enabled: boolean;
  threshold: number;
  amount: number;
  currency: string;
};

/** A recharge the object started: its reference (the recharge's id) and what to charge. */
export type RechargeRequest = { reference: string; amount: number; currency: string };

/** A user's low-balance alert in a currency: notified when available falls below `threshold`. */
export type LowBalanceThreshold = { currency: string; threshold: number };

/** A new threshold for a currency, or none (null: no more alerts in it). */
export type LowBalanceChange = { currency: string; threshold: number | null };
