// What the renewals-*.test.ts files share: the renewals job run with a controlled clock against
// D1, the Stripe and PayPal fakes and the users' rate limiters, on tables emptied before each
// test, with subscriptions and users made long before the clock's now.
import { env } from "cloudflare:workers";
import { expect, vi } from "vitest";
import { runJob } from "../src/cron/runner";
import { openDb } from "../src/db";
import { subscriptions } from "../src/db/schema";
import { DAY } from "../src/lib/time";
import { clearPayPalTokenCache } from "../src/payments/paypal-client";
import type { FakePayPal, FakeSubscription } from "./fakes/paypal";
import {
  emptyJobTables,
  insertSubscription,
  insertUser,
  type SubscriptionFields,
  sellAt,
} from "./fixtures";
import { api, holdQueues, type TestUser } from "./helpers";

const db = openDb(env.DB);

// The wall clock of every test (tokens, the limiter, the fakes) and the job's `now`.
export const NOW = Date.UTC(2032, 5, 15, 12, 0, 0);
export const iso = (ms: number) => new Date(ms).toISOString();
export const sec = (ms: number) => Math.floor(ms / 1000);

/** The outbox ids of each batch handed to the emails queue. */
export let emailBatches: string[][];
let ticks = 0;

/**
 * beforeEach of every renewals-*.test.ts: the clock at NOW,
 * no cached PayPal token, held queues, and clean tables (the job works on whole tables, shared
 * by a file's tests); Basic and Pro purchasable at Stripe and PayPal.
 */
export async function setUpRenewals(): Promise<void> {
  vi.setSystemTime(NOW);
  ticks = 0;
  clearPayPalTokenCache();
  ({ emails: emailBatches } = holdQueues());
  await emptyJobTables();
  await sellAt("stripe", "basic", "pro");
  await sellAt("paypal", "basic", "pro");
}

/** A subscription row made 90 days before NOW (an active monthly Pro one unless told); its id. */
export async function seedSubscription(
  userId: string,
  fields: SubscriptionFields,
): Promise<string> {
  const row = await insertSubscription(userId, { createdAt: NOW - 90 * DAY, ...fields });
  return row.id;
}

/** A user row made 90 days before NOW, without the sign-up round trip; its id. */
export async function seedUser(): Promise<string> {
  const row = await insertUser({ createdAt: NOW - 90 * DAY });
  return row.id;
}

/** Many rows at once: one insert each (D1 binds at most 100 parameters per statement). */
export async function insertMany(rows: (typeof subscriptions.$inferInsert)[]): Promise<void> {
  const [first, ...rest] = rows.map((values) => db.insert(subscriptions).values(values));
  if (first) await db.batch([first, ...rest]);
}

/** Runs the job as an admin would at `at`; answers the counts that are not zero. */
export async function renewals(at = NOW): Promise<Record<string, number>> {
  // The runner resumes from the run that started last (by the wall clock): keep it moving.
  ticks += 1;
  vi.setSystemTime(NOW + ticks);
  const run = await runJob(env, "renewals", "admin", at);
  expect(run.status, run.error ?? "").toBe("ok");
  return Object.fromEntries(Object.entries(run.counts).filter(([, n]) => n !== 0));
}

interface Ping {
  standing: string;
  windows: Record<"minute" | "month", { limit: number | null; reset_at: string }>;
}

export async function ping(user: TestUser) {
  return api<Ping>("GET", "/v1/ping", { token: user.accessToken });
}

/** A subscription at the fake PayPal, ACTIVE since 60 days before NOW unless told. */
export function fakePayPalSubscription(
  paypal: FakePayPal,
  fields: Partial<FakeSubscription> & { plan_id: string },
): FakeSubscription {
  const id = `I-${crypto.randomUUID().replaceAll("-", "").slice(0, 12).toUpperCase()}`;
  const sub: FakeSubscription = {
    id,
    status: "ACTIVE",
    status_update_time: iso(NOW - 60 * DAY),
    start_time: iso(NOW - 60 * DAY),
    create_time: iso(NOW - 60 * DAY),
    update_time: iso(NOW - 60 * DAY),
    links: [],
    ...fields,
  };
  paypal.subscriptions.set(id, sub);
  return sub;
}
