// Calling an action's upstream: signed, bounded by the action's timeout, and classified as
// answered (with its status), timed out, or unreachable (the request never got an answer).
import type { ActionRoute } from "./table";

export type UpstreamResult =
  | { kind: "answered"; response: Response }
  | { kind: "timeout" }
  | { kind: "unreachable"; error: string };

/** A clock for timings (epoch ms): Date.now in the Worker, a test's own in tests. */
export type Clock = () => number;

/**
 * `fetch` with the action's timeout as an abort. `until` says what the timeout covers: the
 * whole answer (`body`: a run reads it) or its headers only (`headers`: a proxied body streams
 * for as long as it takes). The caller reads the body of an answered call.
 */
export async function callUpstream(
  route: ActionRoute,
  request: Request,
  until: "headers" | "body",
): Promise<UpstreamResult & { text?: string }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), route.action.timeoutMs);
  try {
    const response = await fetch(request, { signal: controller.signal, redirect: "manual" });
    if (until === "headers") return { kind: "answered", response };
    const text = await response.text();
    return { kind: "answered", response, text };
  } catch (error) {
    if (controller.signal.aborted) return { kind: "timeout" };
    return { kind: "unreachable", error: String(error).slice(0, 500) };
  } finally {
    clearTimeout(timer);
  }
}

/** The upstream's answer as the client gets it: its JSON when it is JSON, else its text. */
export function outputOf(text: string, contentType: string | null): unknown {
  if (contentType && /[/+]json\b/i.test(contentType)) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}
