// Stripe's API as tollgate calls it: the client for the configured key and base URL, and one
// wrapper that turns any failure into the API's 502. Shared by the provider and the multi-call
// changes (schedules, cancellation).
import Stripe from "stripe";
import type { Config } from "../env";
import { ApiError } from "../lib/errors";

/**
 * A Stripe client for the configured key, talking to STRIPE_API_BASE_URL (tests and local runs
 * point it at a fake). Null when no secret key is configured. Requests go through the global
 * `fetch` as it is at call time, so a test can intercept them.
 */
export function stripeClient(config: Config): Stripe | null {
  if (!config.STRIPE_SECRET_KEY) return null;
  const base = new URL(config.STRIPE_API_BASE_URL);
  const protocol = base.protocol === "http:" ? "http" : "https";
  return new Stripe(config.STRIPE_SECRET_KEY, {
    httpClient: Stripe.createFetchHttpClient((input, init) => fetch(input, init)),
    host: base.hostname,
    port: base.port || (protocol === "http" ? 80 : 443),
    protocol,
    maxNetworkRetries: 2,
    telemetry: false,
  });
}

/** The id of a Stripe reference, whether it came expanded (an object) or not (its id). */
export const idOf = (ref: string | { id: string } | null | undefined): string | null =>
  ref == null ? null : typeof ref === "string" ? ref : ref.id;

/** A Stripe API failure as the API's 502, with the cause logged (never shown to the client). */
function providerError(error: unknown): never {
  if (error instanceof ApiError) throw error;
  const stripeError = error instanceof Stripe.errors.StripeError ? error : null;
  console.error(
    JSON.stringify({
      msg: "stripe request failed",
      type: stripeError?.type,
      code: stripeError?.code,
      status: stripeError?.statusCode,
      error: String(error),
    }),
  );
  throw new ApiError(
    "provider_error",
    stripeError?.code
      ? `Stripe refused the request (${stripeError.code})`
      : "Stripe could not be reached or refused the request",
  );
}

/** Runs Stripe requests; any failure is the API's 502 (see providerError). */
export async function call<T>(request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    providerError(error);
  }
}
