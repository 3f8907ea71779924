// Stripe's API as tollgate calls it: the client for the configured key and base URL, and one
// wrapper that turns any failure into the API's 502. Shared by the provider and the multi-call
// changes (schedules, cancellation). The SDK is loaded on the first call, not at startup: it is
// a third of the bundle, and most requests (and every isolate start) never need it.
import type Stripe from "stripe";
import type { Config } from "../env";
import { ApiError } from "../lib/errors";

type StripeSdk = typeof import("stripe").default;
let sdk: StripeSdk | undefined;

async function loadSdk(): Promise<StripeSdk> {
  sdk ??= (await import("stripe")).default;
  return sdk;
}

/** A Stripe client, made on first use. */
export type StripeClient = () => Promise<Stripe>;

/**
 * A Stripe client for the configured key, talking to STRIPE_API_BASE_URL (tests and local runs
 * point it at a fake). Null when no secret key is configured. Requests go through the global
 * `fetch` as it is at call time, so a test can intercept them.
 */
export function stripeClient(config: Config): StripeClient | null {
  const secretKey = config.STRIPE_SECRET_KEY;
  if (!secretKey) return null;
  let client: Stripe | undefined;
  return async () => {
    if (client) return client;
    const Sdk = await loadSdk();
    const base = new URL(config.STRIPE_API_BASE_URL);
    const protocol = base.protocol === "http:" ? "http" : "https";
    client = new Sdk(secretKey, {
      httpClient: Sdk.createFetchHttpClient((input, init) => fetch(input, init)),
      host: base.hostname,
      port: base.port || (protocol === "http" ? 80 : 443),
      protocol,
      maxNetworkRetries: 2,
      telemetry: false,
    });
    return client;
  };
}

/** An error Stripe's API answered with (only possible once the SDK has been loaded). */
export function stripeErrorOf(
  error: unknown,
): InstanceType<StripeSdk["errors"]["StripeError"]> | null {
  return sdk && error instanceof sdk.errors.StripeError ? error : null;
}

/**
 * A failure of a request that moves money, as the caller must treat it: Stripe's definite
 * refusal (a 4xx answer: invalid request, card error) as it is, anything else (no answer, a
 * 5xx, a rate limit, an idempotency clash) as provider_outcome_unknown: the money may have
 * moved, and only a retry with the same idempotency key finds out.
 */
export function refusalOrUnknown(error: unknown): unknown {
  const stripeError = stripeErrorOf(error);
  const status = stripeError?.statusCode ?? 0;
  const refused =
    status >= 400 &&
    status < 500 &&
    status !== 409 &&
    status !== 429 &&
    stripeError?.type !== "StripeIdempotencyError";
  if (refused) return error;
  console.error(JSON.stringify({ msg: "stripe request unanswered", error: String(error) }));
  return new ApiError("provider_outcome_unknown", "Stripe did not answer clearly");
}

/** The id of a Stripe reference, whether it came expanded (an object) or not (its id). */
export const idOf = (ref: string | { id: string } | null | undefined): string | null =>
  ref == null ? null : typeof ref === "string" ? ref : ref.id;

/** A Stripe API failure as the API's 502, with the cause logged (never shown to the client). */
function providerError(error: unknown): never {
  if (error instanceof ApiError) throw error;
  const stripeError = stripeErrorOf(error);
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

/** Runs Stripe requests on the client; any failure is the API's 502 (see providerError). */
export async function call<T>(
  client: StripeClient,
  request: (stripe: Stripe) => Promise<T>,
): Promise<T> {
  try {
    return await request(await client());
  } catch (error) {
    providerError(error);
  }
}
