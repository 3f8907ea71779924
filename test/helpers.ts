import {
  createExecutionContext,
  createMessageBatch,
  getQueueResult,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, vi } from "vitest";
import { openDb } from "../src/db";
import {
  type Env,
  loadConfig,
  type NotificationDelivery,
  type UsageAlertMessage,
  type WebhookMessage,
} from "../src/env";
import worker from "../src/index";
import type { ServiceContext } from "../src/lib/context";
import { storeReceived } from "../src/webhooks/store";
import { setUserRole } from "./fixtures";

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  body?: unknown;
  rawBody?: string;
  token?: string;
  headers?: Record<string, string>;
  /** The Worker's bindings and vars, for a test's own configuration (low limits); `env` if unset. */
  bindings?: typeof env;
}

/**
 * A request through the Worker's own fetch handler, as a client would send it; waits for
 * the work the handler deferred (waitUntil) so tests see its effects.
 */
export async function api<T = Record<string, unknown>>(
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<ApiResponse<T>> {
  const headers = new Headers(options.headers);
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  if (options.token) headers.set("authorization", `Bearer ${options.token}`);
  return send<T>(
    new Request(`https://api.test${path}`, { method, headers, body }),
    options.bindings,
  );
}

/** A request of the test's own making through the Worker's fetch handler, read like api()'s. */
export async function send<T = Record<string, unknown>>(
  request: Request,
  bindings: typeof env = env,
): Promise<ApiResponse<T>> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(request, bindings, ctx);
  await waitOnExecutionContext(ctx);
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  return { status: response.status, headers: response.headers, body: parsed as T, text };
}

export const PASSWORD = "correct horse battery staple";

export function uniqueEmail(label = "user"): string {
  return `${label}-${crypto.randomUUID().slice(0, 8)}@example.test`;
}

export interface TestUser {
  id: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

/** A user signed up through the API (unverified, one session), with a unique address. */
export async function signup(label = "user", password = PASSWORD): Promise<TestUser> {
  return signupWithEmail(uniqueEmail(label), password);
}

/** The same with an address of the test's choosing. */
export async function signupWithEmail(email: string, password = PASSWORD): Promise<TestUser> {
  const res = await api<{ user: { id: string }; access_token: string; refresh_token: string }>(
    "POST",
    "/v1/auth/signup",
    { body: { email, password } },
  );
  if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${res.text}`);
  return {
    id: res.body.user.id,
    email,
    password,
    accessToken: res.body.access_token,
    refreshToken: res.body.refresh_token,
  };
}

export async function login(email: string, password = PASSWORD) {
  return api<{ access_token: string; refresh_token: string; user: { role: string } }>(
    "POST",
    "/v1/auth/login",
    { body: { email, password } },
  );
}

/** An admin: a signed-up user promoted in D1, logged in again so the token carries the role. */
export async function signupAdmin(): Promise<TestUser> {
  const user = await signup("admin");
  await setUserRole(user.id, "admin");
  const res = await login(user.email);
  return { ...user, accessToken: res.body.access_token, refreshToken: res.body.refresh_token };
}

/** The minute limit the user's next request is held to. */
export async function minuteLimit(user: TestUser): Promise<number | null> {
  const res = await api<{ windows: { minute: { limit: number | null } } }>("GET", "/v1/ping", {
    token: user.accessToken,
  });
  expect(res.status, res.text).toBe(200);
  return res.body.windows.minute.limit;
}

/** An RFC 9457 problem answer (application/problem+json), as every error is sent. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  code: string;
  instance?: string;
  request_id?: string;
  errors?: { path: string; message: string }[];
}

/**
 * Asserts a problem answer with this status and machine code (and the type URL that names the
 * code), and answers its body; `Extra` types the members some problems add.
 */
export function expectProblem<Extra extends object = object>(
  res: ApiResponse<unknown>,
  status: number,
  code: string,
): Problem & Extra {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get("content-type") ?? "").toMatch(/^application\/problem\+json/);
  const body = res.body as Problem & Extra;
  expect(body).toMatchObject({ type: `https://tollgate.dev/problems/${code}`, status, code });
  expect(typeof body.title).toBe("string");
  return body;
}

/** The token in the newest outbox email of that template sent to the address. */
export async function mailedToken(
  to: string,
  template: "verify_email" | "password_reset",
): Promise<string> {
  const row = await env.DB.prepare(
    "select text_body from email_outbox where to_address = ? and template = ? order by created_at desc, rowid desc limit 1",
  )
    .bind(to, template)
    .first<{ text_body: string }>();
  const token = row && /token=([A-Za-z0-9_-]+)/.exec(row.text_body)?.[1];
  if (!token) throw new Error(`no ${template} email for ${to}`);
  return token;
}

export async function count(sql: string, ...params: unknown[]): Promise<number> {
  const row = await env.DB.prepare(sql)
    .bind(...params)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/** The test bindings with the app's typed queues (wrangler types cannot type their messages). */
export const appEnv: Env = env;

/** What a queue's send and sendBatch answer. */
const SENT = { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } };

export interface HeldQueues {
  /**
   * The stored ids of the events sent to the webhook queue, in order. An event the receiver
   * queued whole is stored as the consumer's first step stores it (a duplicate delivery gets the
   * first one's id); tests then apply the ids themselves.
   */
  events: string[];
  /** Every message sent to the webhook queue, as sent. */
  messages: WebhookMessage[];
  /** The outbox ids of each batch sent to the emails queue, in order. */
  emails: string[][];
  /** Every message sent to the notification deliveries queue, in order. */
  deliveries: NotificationDelivery[];
  /** The broadcast id of every message sent to the broadcasts queue, in order. */
  broadcasts: string[];
  /** Every message sent to the usage-alerts queue, in order. */
  usageAlerts: UsageAlertMessage[];
}

/**
 * Keeps the messages of the webhook, emails, notification deliveries and broadcasts queues from
 * their consumers (which would run in the background) until mocks are restored: tests read what was
 * sent and apply it themselves.
 */
export function holdQueues(): HeldQueues {
  const held: HeldQueues = {
    events: [],
    messages: [],
    emails: [],
    deliveries: [],
    broadcasts: [],
    usageAlerts: [],
  };
  vi.spyOn(appEnv.WEBHOOK_EVENTS, "send").mockImplementation(async (body) => {
    held.messages.push(body);
    if ("event_id" in body) held.events.push(body.event_id);
    else held.events.push(...(await storeReceived(openDb(env.DB), [body.received])).ids);
    return SENT;
  });
  vi.spyOn(appEnv.EMAILS, "sendBatch").mockImplementation(async (messages) => {
    held.emails.push([...messages].map((m) => m.body.outbox_id));
    return SENT;
  });
  vi.spyOn(appEnv.NOTIFICATION_DELIVERIES, "sendBatch").mockImplementation(async (messages) => {
    held.deliveries.push(...[...messages].map((m) => m.body));
    return SENT;
  });
  vi.spyOn(appEnv.NOTIFICATION_BROADCASTS, "send").mockImplementation(async (body) => {
    held.broadcasts.push(body.broadcast_id);
    return SENT;
  });
  vi.spyOn(appEnv.USAGE_ALERTS, "sendBatch").mockImplementation(async (messages) => {
    held.usageAlerts.push(...[...messages].map((m) => m.body));
    return SENT;
  });
  return held;
}

/** The RateLimiter object of a subject (`user:<id>`, `ip:<addr>`), for tests that drive it. */
export function limiterStub(subject: string) {
  return env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(subject));
}

/** A service context over the test bindings, at `now`: for calling services directly. */
export function testContext(now = Date.now()): ServiceContext {
  return { db: openDb(env.DB), env: appEnv, config: loadConfig(env), now, origin: "test" };
}

/** Runs messages through the Worker's queue handler as one batch of `queue`, with `bindings`. */
export async function runQueueBatch<T>(queue: string, bodies: T[], bindings: Env = appEnv) {
  const batch = createMessageBatch<T>(
    queue,
    bodies.map((body, i) => ({ id: `msg-${i}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, bindings, ctx);
  return getQueueResult(batch, ctx);
}
