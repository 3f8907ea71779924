import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, vi } from "vitest";

// Runs before each test file; applying is idempotent (applied migrations are recorded).
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

// Every test starts with real timers and unmocked bindings, whatever the one before it did.
afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});
