// Serves one fake host from a spy on globalThis.fetch, passing every other URL on to what fetch
// did before: the real fetch, or another fake installed earlier (so fakes stack, in any test).
import { type MockInstance, vi } from "vitest";

export function routeFetch(
  base: string,
  handle: (request: Request) => Promise<Response>,
): MockInstance<typeof fetch> {
  const current = globalThis.fetch;
  const previous: typeof fetch = vi.isMockFunction(current)
    ? (current.getMockImplementation() ?? current.bind(globalThis))
    : current.bind(globalThis);
  return vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    if (request.url.startsWith(base)) return handle(request);
    return previous(input, init);
  });
}

export function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

/** A form body's fields (read as bytes: workerd warns on .text() of a form). */
export async function formOf(request: Request): Promise<URLSearchParams> {
  return new URLSearchParams(new TextDecoder().decode(await request.arrayBuffer()));
}
