import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig(async () => {
  // wrangler.toml's [assets] directory must exist, and /docs' files be in it (wrangler runs
  // this itself as the build command; the test pool does not).
  execFileSync(process.execPath, ["scripts/docs-assets.mjs"], { stdio: "inherit" });
  const migrations = await readD1Migrations("./migrations");
  // A service account made for this run: the fake FCM checks the JWT its key signs.
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const serviceAccount = {
    type: "service_account",
    project_id: "tollgate-test",
    private_key_id: "test-key-1",
    private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    client_email: "push@tollgate-test.iam.gserviceaccount.com",
    token_uri: "https://oauth2.fake/token",
  };
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            APP_ENV: "test",
            APP_URL: "https://app.test",
            ADMIN_EMAILS: "root@tollgate.test",
            CORS_ORIGINS: "https://app.test",
            JWT_SIGNING_KEYS:
              "test-2:test-signing-key-number-two-0123456789,test-1:test-signing-key-number-one-0123456789",
            REQUEST_LOGS: "off",
            API_KEY_SECRET: "test-api-key-secret-0123456789-abcdefgh",
            EMAIL_PROVIDER: "log",
            // Providers point at fakes that tests install over fetch: never the network.
            STRIPE_SECRET_KEY: "sk_test_fake",
            STRIPE_WEBHOOK_SECRET: "whsec_test_fake",
            STRIPE_API_BASE_URL: "https://stripe.fake",
            PAYPAL_CLIENT_ID: "paypal-client",
            PAYPAL_CLIENT_SECRET: "paypal-secret",
            PAYPAL_WEBHOOK_ID: "WH-TEST",
            PAYPAL_API_BASE_URL: "https://paypal.fake",
            // SMS and push are logged unless a test asks for Twilio or FCM (their fakes).
            SMS_PROVIDER: "log",
            TWILIO_ACCOUNT_SID: "ACtest0000000000000000000000000000",
            TWILIO_AUTH_TOKEN: "twilio-test-auth-token",
            TWILIO_FROM: "+15005550006",
            TWILIO_API_BASE_URL: "https://twilio.fake",
            PUSH_PROVIDER: "log",
            FCM_SERVICE_ACCOUNT: JSON.stringify(serviceAccount),
            FCM_API_BASE_URL: "https://fcm.fake",
            // Tests share one client "IP"; per-IP limiting is tested with its own low limits.
            ANON_LIMIT_PER_MINUTE: "100000",
            ANON_LIMIT_PER_HOUR: "100000",
            ANON_LIMIT_PER_DAY: "100000",
          },
        },
      }),
    ],
    test: {
      setupFiles: ["./test/setup.ts"],
      include: ["test/**/*.test.ts"],
    },
  };
});
