import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it, type Mock, vi } from "vitest";
import { openDb } from "../src/db";
import { consumeEmailBatch, deliverEmail, MAX_EMAIL_ATTEMPTS } from "../src/email/consumer";
import {
  type EmailProvider,
  logProvider,
  type OutgoingEmail,
  PermanentEmailError,
  resendProvider,
} from "../src/email/providers";
import { type EmailMessage, type Env, loadConfig } from "../src/env";
import worker from "../src/index";
import { newId } from "../src/lib/ids";
import { appEnv, signup } from "./helpers";

/** The Worker as the runtime sees it: every handler takes (event, env, ctx). */
const handler: ExportedHandler<Env> = worker;

interface OutboxRow {
  id: string;
  user_id: string | null;
  to_address: string;
  template: string;
  subject: string;
  text_body: string;
  status: string;
  attempts: number;
  last_error: string | null;
  provider_message_id: string | null;
  created_at: number;
  sent_at: number | null;
  last_attempt_at: number | null;
  locked_until: number | null;
}

async function outboxRow(id: string): Promise<OutboxRow> {
  const row = await env.DB.prepare("select * from email_outbox where id = ?")
    .bind(id)
    .first<OutboxRow>();
  if (!row) throw new Error(`no outbox row ${id}`);
  return row;
}

/** A pending outbox row written straight to D1, as the outbox insert would. */
async function insertOutbox(fields: Partial<OutboxRow> = {}): Promise<OutboxRow> {
  const row: OutboxRow = {
    id: newId("eml"),
    user_id: null,
    to_address: `${crypto.randomUUID().slice(0, 8)}@example.test`,
    template: "verify_email",
    subject: "Confirm your email address",
    text_body: "Open https://app.test/account/verify?token=abc",
    status: "pending",
    attempts: 0,
    last_error: null,
    provider_message_id: null,
    created_at: Date.now(),
    sent_at: null,
    last_attempt_at: null,
    locked_until: null,
    ...fields,
  };
  await env.DB.prepare(
    `insert into email_outbox (id, user_id, to_address, template, subject, text_body, status,
       attempts, last_error, provider_message_id, created_at, sent_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
    .bind(
      row.id,
      row.user_id,
      row.to_address,
      row.template,
      row.subject,
      row.text_body,
      row.status,
      row.attempts,
      row.last_error,
      row.provider_message_id,
      row.created_at,
      row.sent_at,
    )
    .run();
  return row;
}

/**
 * Runs the Worker's queue handler on one batch. Returns the ack/retry state, plus the delays
 * the handler asked for (getQueueResult does not report them, so retry/retryAll are spied on).
 */
async function runQueue(
  queue: string,
  messages: { id: string; attempts?: number; body: unknown }[],
  bindings: Env = env,
) {
  const batch = createMessageBatch(
    queue,
    messages.map((m) => ({
      id: m.id,
      timestamp: new Date(),
      attempts: m.attempts ?? 1,
      body: m.body,
    })),
  );
  const delays = spyOnDelays(batch);
  const ctx = createExecutionContext();
  await handler.queue?.(batch, bindings, ctx);
  return { ...(await getQueueResult(batch, ctx)), ...delays };
}

/** Records the delaySeconds each retry() and retryAll() of a batch was called with. */
function spyOnDelays(batch: MessageBatch) {
  const messageDelays: Record<string, number | undefined> = {};
  const batchDelays: (number | undefined)[] = [];
  for (const message of batch.messages) {
    const retry = message.retry.bind(message);
    vi.spyOn(message, "retry").mockImplementation((options) => {
      messageDelays[message.id] = options?.delaySeconds;
      retry(options);
    });
  }
  const retryAll = batch.retryAll.bind(batch);
  vi.spyOn(batch, "retryAll").mockImplementation((options) => {
    batchDelays.push(options?.delaySeconds);
    retryAll(options);
  });
  return { messageDelays, batchDelays };
}

/** Log lines the log provider wrote for emails to this address. */
function loggedEmailsTo(spy: { mock: { calls: unknown[][] } }, to: string): number {
  return spy.mock.calls.filter(([line]) => {
    if (typeof line !== "string") return false;
    try {
      const parsed = JSON.parse(line) as { msg?: string; to?: string };
      return parsed.msg === "email" && parsed.to === to;
    } catch {
      return false;
    }
  }).length;
}

const failing = (error: Error): EmailProvider & { calls: OutgoingEmail[] } => {
  const calls: OutgoingEmail[] = [];
  return {
    calls,
    async send(email) {
      calls.push(email);
      throw error;
    },
  };
};

describe("queue consumer (tollgate-emails)", () => {
  // Keep messages away from the real queue, whose consumer would deliver them in the background
  // and race the batches the tests drive by hand.
  let sendBatch: Mock<Queue<EmailMessage>["sendBatch"]>;
  beforeEach(() => {
    sendBatch = vi.fn<Queue<EmailMessage>["sendBatch"]>(async () => ({
      metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } },
    }));
    vi.spyOn(appEnv.EMAILS, "sendBatch").mockImplementation(sendBatch);
  });

  it("a signup leaves one pending verify_email row and enqueues exactly it", async () => {
    const user = await signup("outbox");
    const { results } = await env.DB.prepare("select * from email_outbox where user_id = ?")
      .bind(user.id)
      .all<OutboxRow>();
    expect(results).toHaveLength(1);
    const row = results[0] as OutboxRow;
    expect(row).toMatchObject({
      to_address: user.email,
      template: "verify_email",
      subject: "Confirm your email address",
      status: "pending",
      attempts: 0,
      last_error: null,
      provider_message_id: null,
      sent_at: null,
    });
    expect(row.text_body).toMatch(/https:\/\/app\.test\/account\/verify\?token=[A-Za-z0-9_-]{43}/);
    expect(sendBatch).toHaveBeenCalledTimes(1);
    expect(sendBatch.mock.calls[0]?.[0]).toStrictEqual([{ body: { outbox_id: row.id } }]);
  });

  it("delivers with the log provider, acks, and a redelivery sends nothing again", async () => {
    const user = await signup("deliver");
    const pending = await env.DB.prepare("select id from email_outbox where user_id = ?")
      .bind(user.id)
      .first<{ id: string }>();
    if (!pending) throw new Error("no outbox row after signup");
    const log = vi.spyOn(console, "log");

    const before = Date.now();
    const first = await runQueue("tollgate-emails", [
      { id: "msg-deliver-1", body: { outbox_id: pending.id } },
    ]);
    expect(first.ackAll).toBe(false);
    expect(first.retryBatch.retry).toBe(false);
    expect(first.explicitAcks).toStrictEqual(["msg-deliver-1"]);
    expect(first.retryMessages).toStrictEqual([]);

    const sent = await outboxRow(pending.id);
    expect(sent.status).toBe("sent");
    expect(sent.attempts).toBe(1);
    expect(sent.last_error).toBeNull();
    expect(sent.provider_message_id).toMatch(
      /^log_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    expect(sent.sent_at).toBeGreaterThanOrEqual(before);
    expect(sent.sent_at).toBeLessThanOrEqual(Date.now());
    expect(loggedEmailsTo(log, user.email)).toBe(1);

    // The same message again (a queue redelivery, or the sweep's duplicate): acked, no-op.
    const second = await runQueue("tollgate-emails", [
      { id: "msg-deliver-1", attempts: 2, body: { outbox_id: pending.id } },
    ]);
    expect(second.explicitAcks).toStrictEqual(["msg-deliver-1"]);
    expect(second.retryMessages).toStrictEqual([]);
    expect(await outboxRow(pending.id)).toStrictEqual(sent);
    expect(loggedEmailsTo(log, user.email)).toBe(1);
  });

  it("acks a message whose outbox row does not exist", async () => {
    const result = await runQueue("tollgate-emails", [
      { id: "msg-ghost", body: { outbox_id: "eml_doesnotexist" } },
    ]);
    expect(result.explicitAcks).toStrictEqual(["msg-ghost"]);
    expect(result.retryMessages).toStrictEqual([]);
  });

  it("handles every message of a batch on its own", async () => {
    const a = await insertOutbox();
    const b = await insertOutbox({ status: "failed", attempts: 5 });
    const c = await insertOutbox();
    const result = await runQueue("tollgate-emails", [
      { id: "m-a", body: { outbox_id: a.id } },
      { id: "m-b", body: { outbox_id: b.id } },
      { id: "m-c", body: { outbox_id: c.id } },
    ]);
    expect([...result.explicitAcks].sort()).toStrictEqual(["m-a", "m-b", "m-c"]);
    expect((await outboxRow(a.id)).status).toBe("sent");
    expect(await outboxRow(b.id)).toStrictEqual(b);
    expect((await outboxRow(c.id)).status).toBe("sent");
  });

  it("retries a message with backoff when the provider fails (resend answering 503)", async () => {
    const row = await insertOutbox();
    const fetchSpy = vi
      .spyOn(globalThis, "fetch")
      .mockImplementation(async () => new Response("unavailable", { status: 503 }));
    const bindings = {
      ...env,
      EMAIL_PROVIDER: "resend",
      EMAIL_API_KEY: "re_test_key",
      EMAIL_API_BASE_URL: "https://resend.fake",
    } as Env;
    const result = await runQueue(
      "tollgate-emails",
      [{ id: "m-retry", attempts: 3, body: { outbox_id: row.id } }],
      bindings,
    );
    expect(fetchSpy).toHaveBeenCalledTimes(1);
    expect(result.explicitAcks).toStrictEqual([]);
    // 30 s · 2^(attempts - 1)
    expect(result.retryMessages).toStrictEqual([{ msgId: "m-retry" }]);
    expect(result.messageDelays).toStrictEqual({ "m-retry": 120 });
    const after = await outboxRow(row.id);
    expect(after.status).toBe("pending");
    expect(after.attempts).toBe(1);
    expect(after.last_error).toBe("Error: resend answered 503: unavailable");
  });

  it("an unknown queue's batch is retried whole, not dropped", async () => {
    const result = await runQueue("tollgate-somewhere-else", [
      { id: "x-1", body: { anything: true } },
      { id: "x-2", body: { anything: false } },
    ]);
    expect(result.retryBatch.retry).toBe(true);
    expect(result.batchDelays).toStrictEqual([300]);
    expect(result.ackAll).toBe(false);
    expect(result.explicitAcks).toStrictEqual([]);
  });
});

describe("consumeEmailBatch backoff", () => {
  it.each([
    [1, 30],
    [2, 60],
    [4, 240],
    [7, 1920],
    [20, 1920],
  ])("attempt %i waits %i s", async (attempts, delay) => {
    const row = await insertOutbox();
    const batch = createMessageBatch<EmailMessage>("tollgate-emails", [
      { id: "b-1", timestamp: new Date(), attempts, body: { outbox_id: row.id } },
    ]);
    const delays = spyOnDelays(batch);
    const ctx = createExecutionContext();
    await consumeEmailBatch(
      { db: openDb(env.DB), config: loadConfig(env), now: Date.now() },
      batch,
      failing(new Error("down")),
    );
    const result = await getQueueResult(batch, ctx);
    expect(result.retryMessages).toStrictEqual([{ msgId: "b-1" }]);
    expect(result.explicitAcks).toStrictEqual([]);
    expect(delays.messageDelays).toStrictEqual({ "b-1": delay });
  });
});

describe("resendProvider", () => {
  const email: OutgoingEmail = {
    from: "tollgate <no-reply@example.com>",
    to: "someone@example.test",
    subject: "Hello",
    text: "Body text\nline two",
  };

  function stubFetch(response: () => Response) {
    return vi.spyOn(globalThis, "fetch").mockImplementation(async () => response());
  }

  it("POSTs the email to /emails with the key and returns Resend's id", async () => {
    const spy = stubFetch(() => Response.json({ id: "re_msg_123" }));
    const id = await resendProvider("https://resend.fake", "re_secret_key").send(email);
    expect(id).toBe("re_msg_123");
    expect(spy).toHaveBeenCalledTimes(1);
    const [input, init] = spy.mock.calls[0] ?? [];
    expect(String(input)).toBe("https://resend.fake/emails");
    expect(init?.method).toBe("POST");
    const headers = new Headers(init?.headers);
    expect(headers.get("authorization")).toBe("Bearer re_secret_key");
    expect(headers.get("content-type")).toBe("application/json");
    expect(JSON.parse(String(init?.body))).toStrictEqual({
      from: "tollgate <no-reply@example.com>",
      to: ["someone@example.test"],
      subject: "Hello",
      text: "Body text\nline two",
    });
  });

  it("keeps a path prefix of the base URL (e.g. a proxy at https://relay.fake/resend)", async () => {
    const spy = stubFetch(() => Response.json({ id: "re_msg_9" }));
    await resendProvider("https://relay.fake/resend", "k").send(email);
    expect(String(spy.mock.calls[0]?.[0])).toBe("https://relay.fake/resend/emails");
  });

  it("a 500 is a retryable error", async () => {
    stubFetch(() => new Response("internal", { status: 500 }));
    const error = await resendProvider("https://resend.fake", "k")
      .send(email)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(PermanentEmailError);
    expect((error as Error).message).toBe("resend answered 500: internal");
  });

  it("a 429 is retryable too", async () => {
    stubFetch(() => new Response("slow down", { status: 429 }));
    const error = await resendProvider("https://resend.fake", "k")
      .send(email)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(PermanentEmailError);
  });

  it.each([400, 401, 403, 422])("a %i is permanent", async (status) => {
    stubFetch(() => Response.json({ message: "invalid `to` field" }, { status }));
    const error = await resendProvider("https://resend.fake", "k")
      .send(email)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentEmailError);
    expect((error as Error).message).toBe(
      `resend answered ${status}: {"message":"invalid \`to\` field"}`,
    );
  });

  it("quotes at most 200 characters of the error body", async () => {
    stubFetch(() => new Response("x".repeat(1000), { status: 422 }));
    const error = (await resendProvider("https://resend.fake", "k")
      .send(email)
      .catch((e: unknown) => e)) as Error;
    expect(error.message).toBe(`resend answered 422: ${"x".repeat(200)}`);
  });

  it("a 200 without an id is a retryable error", async () => {
    stubFetch(() => Response.json({ ok: true }));
    const error = await resendProvider("https://resend.fake", "k")
      .send(email)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(PermanentEmailError);
    expect((error as Error).message).toBe("resend answered without an id");
  });

  it("a network failure propagates as a retryable error", async () => {
    vi.spyOn(globalThis, "fetch").mockRejectedValue(new TypeError("Network connection lost."));
    const error = await resendProvider("https://resend.fake", "k")
      .send(email)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(error).not.toBeInstanceOf(PermanentEmailError);
  });
});

describe("deliverEmail", () => {
  const config = () => loadConfig(env);
  /** What a delivery runs with, at `now`. */
  const at = (now: number) => ({ db: openDb(env.DB), config: config(), now });

  it("sends with the configured From and the row's address, subject and text", async () => {
    const row = await insertOutbox({ subject: "Reset your password", text_body: "the text" });
    const seen: OutgoingEmail[] = [];
    const provider: EmailProvider = {
      async send(email) {
        seen.push(email);
        return "prov-42";
      },
    };
    const outcome = await deliverEmail(at(1_800_000_000_000), provider, row.id);
    expect(outcome).toBe("sent");
    expect(seen).toStrictEqual([
      {
        from: config().EMAIL_FROM,
        to: row.to_address,
        subject: "Reset your password",
        text: "the text",
      },
    ]);
    expect(await outboxRow(row.id)).toStrictEqual({
      ...row,
      status: "sent",
      attempts: 1,
      provider_message_id: "prov-42",
      sent_at: 1_800_000_000_000,
      last_attempt_at: 1_800_000_000_000,
    });
    expect(await deliverEmail(at(1_800_000_000_001), provider, row.id)).toBe("skipped");
    expect(seen).toHaveLength(1);
  });

  it("a failure counts the attempt and keeps the row pending; the last attempt fails it", async () => {
    const row = await insertOutbox();
    const provider = failing(new Error("provider down"));
    for (let attempt = 1; attempt < MAX_EMAIL_ATTEMPTS; attempt++) {
      expect(await deliverEmail(at(Date.now()), provider, row.id)).toBe("retry");
      const after = await outboxRow(row.id);
      expect(after.attempts).toBe(attempt);
      expect(after.status).toBe("pending");
      expect(after.last_error).toBe("Error: provider down");
      expect(after.sent_at).toBeNull();
    }
    expect(MAX_EMAIL_ATTEMPTS).toBe(5);
    expect(await deliverEmail(at(Date.now()), provider, row.id)).toBe("failed");
    const failed = await outboxRow(row.id);
    expect(failed.status).toBe("failed");
    expect(failed.attempts).toBe(MAX_EMAIL_ATTEMPTS);
    expect(failed.sent_at).toBeNull();
    expect(failed.provider_message_id).toBeNull();
    // Given up means given up: later deliveries do not call the provider.
    expect(await deliverEmail(at(Date.now()), provider, row.id)).toBe("skipped");
    expect(provider.calls).toHaveLength(MAX_EMAIL_ATTEMPTS);
  });

  it("a PermanentEmailError fails the row at once", async () => {
    const row = await insertOutbox();
    const provider = failing(new PermanentEmailError("resend answered 422: bad address"));
    expect(await deliverEmail(at(Date.now()), provider, row.id)).toBe("failed");
    const after = await outboxRow(row.id);
    expect(after.status).toBe("failed");
    expect(after.attempts).toBe(1);
    expect(after.last_error).toBe("Error: resend answered 422: bad address");
    expect(await deliverEmail(at(Date.now()), provider, row.id)).toBe("skipped");
    expect(provider.calls).toHaveLength(1);
  });

  it("a success after failures clears the last error", async () => {
    const row = await insertOutbox({ attempts: 2, last_error: "Error: earlier" });
    expect(await deliverEmail(at(1_800_000_000_500), logProvider, row.id)).toBe("sent");
    const after = await outboxRow(row.id);
    expect(after.status).toBe("sent");
    expect(after.attempts).toBe(3);
    expect(after.last_error).toBeNull();
    expect(after.sent_at).toBe(1_800_000_000_500);
  });

  it("truncates a long error to 500 characters", async () => {
    const row = await insertOutbox();
    await deliverEmail(at(Date.now()), failing(new Error("e".repeat(2000))), row.id);
    const after = await outboxRow(row.id);
    expect(after.last_error).toHaveLength(500);
    expect(after.last_error?.startsWith("Error: eee")).toBe(true);
  });

  it("two deliveries of the same row at the same time send it once", async () => {
    // What the sweep's duplicate message and a queue retry of the original can do.
    const row = await insertOutbox();
    const seen: OutgoingEmail[] = [];
    const slow: EmailProvider = {
      async send(email) {
        seen.push(email);
        await new Promise((resolve) => setTimeout(resolve, 20));
        return `prov-${seen.length}`;
      },
    };
    const outcomes = await Promise.all([
      deliverEmail(at(Date.now()), slow, row.id),
      deliverEmail(at(Date.now()), slow, row.id),
    ]);
    expect(outcomes.sort()).toStrictEqual(["sent", "skipped"]);
    expect(seen).toHaveLength(1);
    expect((await outboxRow(row.id)).attempts).toBe(1);
  });

  it("an unknown outbox id is skipped", async () => {
    const provider = failing(new Error("must not be called"));
    expect(await deliverEmail(at(Date.now()), provider, "eml_missing")).toBe("skipped");
    expect(provider.calls).toHaveLength(0);
  });
});
