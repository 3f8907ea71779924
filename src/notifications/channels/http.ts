/**
 * A channel's provider refused or failed a send. `permanent` when sending the same thing again
 * cannot help (a 4xx other than 429: a bad number, bad credentials); otherwise the delivery is
 * retried. The message names the provider, the status and its error code, never a credential.
 */
export class ChannelError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

/** Whether a provider's HTTP status means that retrying cannot help. */
export const permanentStatus = (status: number): boolean =>
  status >= 400 && status < 500 && status !== 429;

/** A response body as JSON, or null when it is empty or not JSON. */
export async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** fetch, with a network failure as a retryable ChannelError naming the provider. */
export async function reach(provider: string, url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    throw new ChannelError(`${provider} could not be reached: ${String(error)}`, false);
  }
}

/** A member of a JSON object (unknown when the value is not an object or lacks it). */
export function member(value: unknown, name: string): unknown {
  return value !== null && typeof value === "object" ? Reflect.get(value, name) : undefined;
}
