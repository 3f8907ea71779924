import { z } from "zod";
import type { Env } from "./index";

const csv = z
  .string()
  .default("")
  .transform((v) =>
    v
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  );

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

// "kid:secret,kid:secret" — the first key signs, every key verifies, so keys rotate by
// prepending a new one and dropping the old one once its tokens have expired.
const signingKeys = z
  .string({ error: "JWT_SIGNING_KEYS is required (set it with `wrangler secret put`)" })
  .transform((value, ctx) => {
    const keys = value
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean)
      .map((entry) => {
        const at = entry.indexOf(":");
        // No separator: no kid. Never let part of a secret become the public kid header.
        return at < 1
          ? { kid: "", secret: "" }
          : { kid: entry.slice(0, at), secret: entry.slice(at + 1) };
      });
    if (keys.length === 0 || keys.some((k) => !k.kid || k.secret.length < 32)) {
      ctx.addIssue({
        code: "custom",
        message: "JWT_SIGNING_KEYS must be 'kid:secret' pairs, each secret at least 32 characters",
      });
      return z.NEVER;
    }
    return keys;
  });

/** The fields of a Google service account key file that FCM's OAuth flow uses. */
const ServiceAccountSchema = z.object({
  project_id: z.string().min(1),
  client_email: z.string().min(1),
  private_key_id: z.string().min(1).optional(),
  private_key: z.string().includes("PRIVATE KEY"),
  token_uri: z.url().default("https://oauth2.googleapis.com/token"),
});
export type ServiceAccount = z.infer<typeof ServiceAccountSchema>;

// The key file as JSON; an error names the field, never the key.
const serviceAccount = z.string().transform((value, ctx) => {
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    ctx.addIssue({ code: "custom", message: "FCM_SERVICE_ACCOUNT must be the key file's JSON" });
    return z.NEVER;
  }
  const result = ServiceAccountSchema.safeParse(json);
  if (!result.success) {
    const fields = result.error.issues.map((i) => i.path.join(".")).join(", ");
    ctx.addIssue({ code: "custom", message: `FCM_SERVICE_ACCOUNT lacks a valid ${fields}` });
    return z.NEVER;
  }
  return result.data;
});

export const ConfigSchema = z.object({
  APP_ENV: z.enum(["development", "test", "production"]).default("production"),
  APP_URL: z.url().default("http://localhost:8787"),
  JWT_ISSUER: z.string().min(1).default("tollgate"),
  JWT_AUDIENCE: z.string().min(1).default("tollgate-api"),
  JWT_SIGNING_KEYS: signingKeys,
  // Tags API keys so forged ones are refused in the isolate. Changing it invalidates every key.
  API_KEY_SECRET: z
    .string({ error: "API_KEY_SECRET is required (set it with `wrangler secret put`)" })
    .min(32, "API_KEY_SECRET must be at least 32 characters"),
  ACCESS_TOKEN_TTL_SECONDS: positiveInt(900),
  REFRESH_TOKEN_TTL_DAYS: positiveInt(30),
  CORS_ORIGINS: csv,
  ADMIN_EMAILS: csv.transform((emails) => emails.map((e) => e.toLowerCase())),
  MAX_BODY_BYTES: positiveInt(64 * 1024),
  EMAIL_PROVIDER: z.enum(["log", "resend"]).default("log"),
  EMAIL_FROM: z.string().min(3).default("tollgate <no-reply@localhost>"),
  EMAIL_API_BASE_URL: z.url().default("https://api.resend.com"),
  EMAIL_API_KEY: z.string().optional(),
  // SMS through Twilio's Messages API; "log" prints them (development); "off" skips them (a
  // deployment that has not set Twilio up). A sender is either a
  // number (TWILIO_FROM) or a messaging service (TWILIO_MESSAGING_SERVICE_SID).
  SMS_PROVIDER: z.enum(["off", "log", "twilio"]).default("log"),
  TWILIO_ACCOUNT_SID: z.string().min(1).optional(),
  TWILIO_AUTH_TOKEN: z.string().min(1).optional(),
  TWILIO_FROM: z.string().min(1).optional(),
  TWILIO_MESSAGING_SERVICE_SID: z.string().min(1).optional(),
  TWILIO_API_BASE_URL: z.url().default("https://api.twilio.com"),
  // Push through FCM HTTP v1 with a Google service account (its JSON key file, whole, as the
  // secret); "log" prints them (development). FCM_TOKEN_URL overrides the key file's token_uri.
  PUSH_PROVIDER: z.enum(["off", "log", "fcm"]).default("log"),
  FCM_SERVICE_ACCOUNT: serviceAccount.optional(),
  FCM_API_BASE_URL: z.url().default("https://fcm.googleapis.com"),
  FCM_TOKEN_URL: z.url().optional(),
  // Anonymous traffic (per client IP): auth routes and other public routes.
  ANON_LIMIT_PER_MINUTE: positiveInt(30),
  ANON_LIMIT_PER_HOUR: positiveInt(300),
  ANON_LIMIT_PER_DAY: positiveInt(2000),
  // Account routes (tollgate's own: /v1/me, billing, admin…) count per user in this window
  // instead of the plan's.
  ACCOUNT_LIMIT_PER_MINUTE: positiveInt(300),
  // Payments. A provider whose keys are missing answers 503 provider_unavailable.
  STRIPE_SECRET_KEY: z.string().min(1).optional(),
  STRIPE_WEBHOOK_SECRET: z.string().min(1).optional(),
  STRIPE_API_BASE_URL: z.url().default("https://api.stripe.com"),
  PAYPAL_CLIENT_ID: z.string().min(1).optional(),
  PAYPAL_CLIENT_SECRET: z.string().min(1).optional(),
  PAYPAL_WEBHOOK_ID: z.string().min(1).optional(),
  PAYPAL_API_BASE_URL: z.url().default("https://api-m.paypal.com"),
  // Wallet top-ups: the smallest and largest amount one top-up may be (minor units).
  WALLET_TOP_UP_MIN: positiveInt(500),
  WALLET_TOP_UP_MAX: positiveInt(100_000),
  // Dunning: past_due longer than the grace period → restricted; longer than SUSPEND_AFTER_DAYS
  // → suspended.
  BILLING_GRACE_DAYS: positiveInt(7),
  SUSPEND_AFTER_DAYS: positiveInt(14),
  // A provider subscription with no renewal event this long after its period ended is re-synced.
  RENEWAL_RESYNC_HOURS: positiveInt(6),
  REQUEST_LOGS: z.enum(["on", "off"]).default("on"),
  // With REQUEST_LOGS on: failed (5xx) and slow requests are always logged, the rest sampled.
  REQUEST_LOG_SAMPLE_RATE: z.coerce.number().min(0).max(1).default(1),
  SLOW_REQUEST_MS: positiveInt(1000),
});

export type Config = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {}

const parsed = new WeakMap<object, Config>();

/** Parses vars and secrets once per isolate and env; a missing or bad one names itself. */
export function loadConfig(env: Env): Config {
  const cached = parsed.get(env);
  if (cached) return cached;
  const result = ConfigSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`invalid configuration — ${problems.join("; ")}`);
  }
  const missing = providerGaps(result.data);
  if (missing) throw new ConfigError(`invalid configuration — ${missing}`);
  parsed.set(env, result.data);
  return result.data;
}

/** A provider chosen without the secrets it needs, named; null when every chosen one has them. */
function providerGaps(config: Config): string | null {
  if (config.EMAIL_PROVIDER === "resend" && !config.EMAIL_API_KEY) {
    return "EMAIL_API_KEY is required for EMAIL_PROVIDER=resend";
  }
  if (config.SMS_PROVIDER === "twilio") {
    if (!config.TWILIO_ACCOUNT_SID || !config.TWILIO_AUTH_TOKEN) {
      return "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are required for SMS_PROVIDER=twilio";
    }
    if (!config.TWILIO_FROM && !config.TWILIO_MESSAGING_SERVICE_SID) {
      return "TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID is required for SMS_PROVIDER=twilio";
    }
  }
  if (config.PUSH_PROVIDER === "fcm" && !config.FCM_SERVICE_ACCOUNT) {
    return "FCM_SERVICE_ACCOUNT is required for PUSH_PROVIDER=fcm";
  }
  return null;
}
