import type { NamedWindow } from "../lib/windows";

// draft-ietf-httpapi-ratelimit-headers: RateLimit-Policy names every quota policy; RateLimit
// reports the one closest to running out.

function windowSeconds(w: NamedWindow): number {
  return Math.round((w.reset_at - w.start) / 1000);
}

export function rateLimitPolicyHeader(windows: NamedWindow[]): string | null {
  const limited = windows.filter((w) => w.limit !== null);
  if (limited.length === 0) return null;
  return limited.map((w) => `"${w.window}";q=${w.limit};w=${windowSeconds(w)}`).join(", ");
}

/** The window with the fewest remaining requests (the soonest reset breaks ties). */
export function tightestWindow(windows: NamedWindow[]): NamedWindow | null {
  let best: NamedWindow | null = null;
  for (const w of windows) {
    if (w.remaining === null) continue;
    if (!best || best.remaining === null || w.remaining < best.remaining) best = w;
    else if (w.remaining === best.remaining && w.reset_at < best.reset_at) best = w;
  }
  return best;
}

export function rateLimitHeader(windows: NamedWindow[], now: number): string | null {
  const w = tightestWindow(windows);
  if (!w) return null;
  const seconds = Math.max(0, Math.ceil((w.reset_at - now) / 1000));
  return `"${w.window}";r=${w.remaining};t=${seconds}`;
}

export function rateLimitHeaders(windows: NamedWindow[], now: number): Record<string, string> {
  const headers: Record<string, string> = {};
  const policy = rateLimitPolicyHeader(windows);
  const current = rateLimitHeader(windows, now);
  if (policy) headers["RateLimit-Policy"] = policy;
  if (current) headers.RateLimit = current;
  return headers;
}
