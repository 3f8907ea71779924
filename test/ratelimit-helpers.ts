// What the ratelimit-*.test.ts files share: a quiet moment to set the clock from, and pings
// through the limiter.
import { env } from "cloudflare:workers";
import type { Limits } from "../src/lib/windows";
import { pushPolicyBeforeCommit } from "../src/ratelimit/client";
import { api } from "./helpers";

// A quiet moment: the first second of a month, so no window rolls over mid-test by accident.
export const T0 = Date.parse("2031-01-01T00:00:00Z");

export async function ping(token: string, headers: Record<string, string> = {}) {
  return api("GET", "/v1/ping", { token, headers });
}

/** The statuses of `n` pings in a row. */
export async function statuses(token: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await ping(token)).status);
  return out;
}

/** Puts the user's plan windows at `limits` (unset ones unlimited), in force on the next request. */
export async function limitTo(userId: string, limits: Partial<Limits>): Promise<void> {
  const all: Limits = { minute: null, hour: null, day: null, month: null, ...limits };
  await pushPolicyBeforeCommit(env, userId, { limits: all }, T0);
}
