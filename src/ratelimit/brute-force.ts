import type { Env } from "../env";
import { sha256Hex } from "../lib/crypto";
import { HOUR, MINUTE } from "../lib/time";
import { hit } from "./client";
import { bucketExceeded } from "./middleware";

export interface AttemptRule {
  name: string;
  limit: number;
  windowMs: number;
}

// Per-target limits on the auth routes, on top of the per-IP limit. They count every email
// alike, registered or not, so hitting one reveals nothing about which emails exist.
export const ATTEMPT_RULES = {
  // Every login takes an attempt before the password is checked (so parallel guesses cannot
  // all slip past a count of zero) and a successful one gives it back: 5 failures / 15 min.
  loginFailures: { name: "login_failures", limit: 5, windowMs: 15 * MINUTE },
  signup: { name: "signup", limit: 5, windowMs: HOUR },
  passwordForgot: { name: "password_forgot", limit: 5, windowMs: HOUR },
  emailResend: { name: "email_resend", limit: 5, windowMs: HOUR },
} as const satisfies Record<string, AttemptRule>;

/** The limiter subject for an email address; hashed, so no address is used as a name. */
export async function emailSubject(email: string): Promise<string> {
  return `email:${await sha256Hex(email)}`;
}

/** Takes one attempt under the rule, or throws 429 when the rule's window is full. */
export async function takeAttempt(
  env: Env,
  subject: string,
  rule: AttemptRule,
  now: number,
): Promise<void> {
  const result = await hit(env, subject, rule, 1, now);
  if (!result.allowed) throw bucketExceeded(result, now);
}

/** Gives an attempt back: rules that count failures refund the ones that succeeded. */
export async function refundAttempt(
  env: Env,
  subject: string,
  rule: AttemptRule,
  now: number,
): Promise<void> {
  await hit(env, subject, rule, -1, now);
}
