import type { Context } from "hono";
import type { AppEnv } from "./context";

/** Who made a request, as sessions record it. */
export interface ClientMeta {
  userAgent: string | null;
  ip: string | null;
}

export function clientMeta(c: Context<AppEnv>): ClientMeta {
  return {
    userAgent: c.req.header("user-agent") ?? null,
    ip: c.req.header("cf-connecting-ip") ?? null,
  };
}

/** Work that must finish but must not delay the answer (queue sends, timing-sensitive paths). */
export function afterResponse(c: Context<AppEnv>, label: string, work: Promise<unknown>): void {
  const guarded = work.catch((error: unknown) => {
    console.error(
      JSON.stringify({ msg: `${label} failed`, request_id: c.var.requestId, error: String(error) }),
    );
  });
  c.executionCtx.waitUntil(guarded);
}
