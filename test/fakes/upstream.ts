// An action's upstream (an n8n webhook, a company's API) for tests: `fetch` requests to
// https://upstream.test land here, are recorded, and are answered by `respond` (JSON `{ok: true}`
// unless a test says otherwise). Anything else passes through to the real fetch.
import { vi } from "vitest";
import { hmacSha256Hex, timingSafeEqualStrings } from "../../src/lib/crypto";

export const UPSTREAM = "https://upstream.test";

export interface UpstreamCall {
  method: string;
  url: URL;
  headers: Headers;
  body: string;
  signal: AbortSignal;
}

export class FakeUpstream {
  readonly calls: UpstreamCall[] = [];
  respond: (call: UpstreamCall) => Response | Promise<Response> = () => Response.json({ ok: true });
  private waiters: Array<() => void> = [];

  install(): this {
    const original = globalThis.fetch;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const request = new Request(input, init);
      if (!request.url.startsWith(UPSTREAM)) return original(input, init);
      const call: UpstreamCall = {
        method: request.method,
        url: new URL(request.url),
        headers: request.headers,
        body: await request.text(),
        signal: request.signal,
      };
      this.calls.push(call);
      for (const wake of this.waiters.splice(0)) wake();
      return this.respond(call);
    });
    return this;
  }

  /** Resolves once the upstream has been called `n` times in all. */
  called(n = 1): Promise<void> {
    if (this.calls.length >= n) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => (this.calls.length >= n ? resolve() : this.waiters.push(check));
      this.waiters.push(check);
    });
  }

  /** Never answers; gives up (as fetch does) when the caller aborts: the timeout path. */
  hang(): void {
    this.respond = (call) =>
      new Promise((_, reject) => {
        call.signal.addEventListener("abort", () =>
          reject(new DOMException("The operation was aborted", "AbortError")),
        );
      });
  }

  /** Every call fails as an unreachable host does. */
  unreachable(): void {
    this.respond = () => {
      throw new TypeError("Network connection lost.");
    };
  }
}

export function installUpstream(): FakeUpstream {
  return new FakeUpstream().install();
}

/**
 * Verifies `Tollgate-Signature` as an upstream should (the README's n8n snippet does the same):
 * HMAC-SHA256(secret, "<t>.<raw body>") in hex, compared in constant time.
 */
export async function verifySignature(
  call: UpstreamCall,
  secret: string,
): Promise<{ valid: boolean; t: number }> {
  const header = call.headers.get("tollgate-signature") ?? "";
  const parts = Object.fromEntries(header.split(",").map((p) => p.split("=") as [string, string]));
  const t = Number(parts.t);
  const expected = await hmacSha256Hex(secret, `${parts.t}.${call.body}`);
  return { valid: timingSafeEqualStrings(expected, parts.v1 ?? ""), t };
}
