import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it, type Mock, vi } from "vitest";
import { REDACTED_BODY } from "../src/cron/jobs";
import type { EmailMessage, Env } from "../src/env";
import worker from "../src/index";
import { newId } from "../src/lib/ids";
import { insertUser } from "./fixtures";
import { appEnv } from "./helpers";

/** The Worker as the runtime sees it: every handler takes (event, env, ctx). */
const handler: ExportedHandler<Env> = worker;

// Scheduled times far from the wall clock, so the jobs must use the controller's time.
const T0 = Date.UTC(2031, 0, 1, 12, 0, 0);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const SWEEP = "*/10 * * * *";
const CLEANUP = "5 * * * *";

async function runCron(cron: string, scheduledTime: number, bindings: Env = env): Promise<void> {
  const ctx = createExecutionContext();
  await handler.scheduled?.(createScheduledController({ cron, scheduledTime }), bindings, ctx);
}

/** The counts a job logged in its "job done" line for the most recent run of that job. */
function jobCounts(log: { mock: { calls: unknown[][] } }, job: string): Record<string, unknown> {
  const lines = log.mock.calls
    .map(([line]) => {
      try {
        return typeof line === "string" ? (JSON.parse(line) as Record<string, unknown>) : null;
      } catch {
        return null;
      }
    })
    .filter((line) => line?.msg === "job done" && line.job === job);
  const last = lines.at(-1);
  if (!last) throw new Error(`no "job done" line for ${job}`);
  const { msg: _msg, job: _job, ms: _ms, ...counts } = last;
  return counts;
}

/** A user row without the sign-up round trip; answers its id. */
async function newUser(): Promise<string> {
  return (await insertUser({ createdAt: T0 - 30 * DAY })).id;
}

async function insertSession(userId: string): Promise<string> {
  const id = newId("ses");
  await env.DB.prepare(
    "insert into sessions (id, user_id, created_at, last_used_at) values (?, ?, ?, ?)",
  )
    .bind(id, userId, T0 - 10 * DAY, T0 - DAY)
    .run();
  return id;
}

async function insertRefreshToken(
  sessionId: string,
  expiresAt: number,
  usedAt: number | null = null,
): Promise<string> {
  const id = newId("rtk");
  await env.DB.prepare(
    `insert into refresh_tokens (id, session_id, token_hash, created_at, expires_at, used_at)
     values (?, ?, ?, ?, ?, ?)`,
  )
    .bind(id, sessionId, `hash-${id}`, expiresAt - 30 * DAY, expiresAt, usedAt)
    .run();
  return id;
}

async function insertAuthToken(
  userId: string,
  purpose: "email_verify" | "password_reset",
  expiresAt: number,
  usedAt: number | null = null,
): Promise<string> {
  const id = newId("atk");
  await env.DB.prepare(
    `insert into auth_tokens (id, user_id, purpose, token_hash, created_at, expires_at, used_at)
     values (?, ?, ?, ?, ?, ?, ?)`,
  )
    .bind(id, userId, purpose, `hash-${id}`, expiresAt - HOUR, expiresAt, usedAt)
    .run();
  return id;
}

async function insertOutbox(
  createdAt: number,
  status: "pending" | "sent" | "failed" = "pending",
  attempts = 0,
): Promise<string> {
  const id = newId("eml");
  await env.DB.prepare(
    `insert into email_outbox (id, to_address, template, subject, text_body, status, attempts,
       created_at, sent_at)
     values (?, ?, 'verify_email', 'Confirm your email address', 'text', ?, ?, ?, ?)`,
  )
    .bind(
      id,
      `${id}@example.test`,
      status,
      attempts,
      createdAt,
      status === "sent" ? createdAt + MINUTE : null,
    )
    .run();
  return id;
}

async function ids(table: "refresh_tokens" | "auth_tokens" | "email_outbox"): Promise<string[]> {
  const { results } = await env.DB.prepare(`select id from ${table} order by id`).all<{
    id: string;
  }>();
  return results.map((r) => r.id);
}

let sendBatch: Mock<Queue<EmailMessage>["sendBatch"]>;

beforeEach(async () => {
  // Nothing reaches the real queue; the tests read what would have been sent.
  sendBatch = vi.fn<Queue<EmailMessage>["sendBatch"]>(async () => ({
    metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } },
  }));
  vi.spyOn(appEnv.EMAILS, "sendBatch").mockImplementation(sendBatch);
  // Storage is shared by the tests of this file and the jobs work on whole tables.
  await env.DB.batch([
    env.DB.prepare("delete from email_outbox"),
    env.DB.prepare("delete from refresh_tokens"),
    env.DB.prepare("delete from auth_tokens"),
  ]);
});

/** The outbox ids in every sendBatch call, in call order. */
function enqueuedIds(): string[][] {
  return sendBatch.mock.calls.map(([messages]) =>
    (messages as { body: { outbox_id: string } }[]).map((m) => m.body.outbox_id),
  );
}

describe(`email outbox sweep (${SWEEP})`, () => {
  it("re-enqueues pending emails quiet for over 15 minutes, and only those", async () => {
    const stale = await insertOutbox(T0 - 16 * MINUTE);
    const staleRetried = await insertOutbox(T0 - 3 * HOUR, "pending", 2);
    const fresh = await insertOutbox(T0 - MINUTE);
    const exactlyFifteen = await insertOutbox(T0 - 15 * MINUTE);
    // Old, but a delivery attempt 5 minutes ago: its queue message is still retrying.
    const retrying = await insertOutbox(T0 - HOUR, "pending", 1);
    await env.DB.prepare("update email_outbox set last_attempt_at = ? where id = ?")
      .bind(T0 - 5 * MINUTE, retrying)
      .run();
    const sent = await insertOutbox(T0 - HOUR, "sent", 1);
    const failed = await insertOutbox(T0 - HOUR, "failed", 5);
    const exhausted = await insertOutbox(T0 - HOUR, "pending", 5);
    const log = vi.spyOn(console, "log");

    await runCron(SWEEP, T0);

    expect(sendBatch).toHaveBeenCalledTimes(1);
    const batch = sendBatch.mock.calls[0]?.[0] as { body: { outbox_id: string } }[];
    expect(batch.every((m) => Object.keys(m).join() === "body")).toBe(true);
    expect(enqueuedIds()[0]?.sort()).toStrictEqual([stale, staleRetried].sort());
    for (const id of [fresh, exactlyFifteen, retrying, sent, failed, exhausted]) {
      expect(enqueuedIds()[0]).not.toContain(id);
    }
    expect(jobCounts(log, "email-outbox-sweep")).toStrictEqual({ requeued: 2 });
  });

  it("leaves the rows as they are: delivery, not the sweep, changes them", async () => {
    const stale = await insertOutbox(T0 - 20 * MINUTE);
    const before = await env.DB.prepare("select * from email_outbox where id = ?")
      .bind(stale)
      .first();
    await runCron(SWEEP, T0);
    expect(enqueuedIds()).toStrictEqual([[stale]]);
    expect(
      await env.DB.prepare("select * from email_outbox where id = ?").bind(stale).first(),
    ).toStrictEqual(before);
  });

  it("uses the scheduled time, not the wall clock", async () => {
    const row = await insertOutbox(T0 - 16 * MINUTE);
    await runCron(SWEEP, T0 - 2 * MINUTE);
    expect(sendBatch).not.toHaveBeenCalled();
    await runCron(SWEEP, T0);
    expect(enqueuedIds()).toStrictEqual([[row]]);
  });

  it("sends nothing when nothing is stale", async () => {
    await insertOutbox(T0 - 5 * MINUTE);
    await insertOutbox(T0 - HOUR, "sent", 1);
    const log = vi.spyOn(console, "log");
    await runCron(SWEEP, T0);
    expect(sendBatch).not.toHaveBeenCalled();
    expect(jobCounts(log, "email-outbox-sweep")).toStrictEqual({ requeued: 0 });
  });

  it("a failing enqueue does not fail the run; the next sweep tries again", async () => {
    const row = await insertOutbox(T0 - HOUR);
    sendBatch.mockRejectedValueOnce(new Error("queue unavailable"));
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    await runCron(SWEEP, T0);
    expect(error).toHaveBeenCalled();
    await runCron(SWEEP, T0 + 10 * MINUTE);
    expect(enqueuedIds()).toStrictEqual([[row], [row]]);
  });

  it("does not run the token cleanup", async () => {
    const user = await newUser();
    const session = await insertSession(user);
    const expired = await insertRefreshToken(session, T0 - DAY);
    const used = await insertAuthToken(user, "password_reset", T0 + HOUR, T0 - MINUTE);
    await runCron(SWEEP, T0);
    expect(await ids("refresh_tokens")).toStrictEqual([expired]);
    expect(await ids("auth_tokens")).toStrictEqual([used]);
  });
});

describe(`token cleanup (${CLEANUP})`, () => {
  it("deletes expired refresh tokens and spent or expired mailed tokens, keeps live ones", async () => {
    const user = await newUser();
    const session = await insertSession(user);
    const refreshExpired = await insertRefreshToken(session, T0 - 1);
    const refreshExpiredUsed = await insertRefreshToken(session, T0 - DAY, T0 - 2 * DAY);
    const refreshLive = await insertRefreshToken(session, T0 + 29 * DAY);
    // A used refresh token that has not expired is kept: it is how reuse is detected.
    const refreshUsedLive = await insertRefreshToken(session, T0 + DAY, T0 - HOUR);

    const mailedExpired = await insertAuthToken(user, "email_verify", T0 - 1);
    const mailedUsed = await insertAuthToken(user, "password_reset", T0 + HOUR, T0 - MINUTE);
    const mailedUsedExpired = await insertAuthToken(user, "email_verify", T0 - DAY, T0 - 2 * DAY);
    const mailedLive = await insertAuthToken(user, "password_reset", T0 + HOUR);
    const mailedLiveVerify = await insertAuthToken(user, "email_verify", T0 + DAY);

    const log = vi.spyOn(console, "log");
    await runCron(CLEANUP, T0);

    expect(await ids("refresh_tokens")).toStrictEqual([refreshLive, refreshUsedLive].sort());
    expect(await ids("auth_tokens")).toStrictEqual([mailedLive, mailedLiveVerify].sort());
    expect(jobCounts(log, "token-cleanup")).toStrictEqual({
      refresh_tokens_deleted: 2,
      mailed_tokens_deleted: 3,
    });
    for (const gone of [refreshExpired, refreshExpiredUsed]) {
      expect(await ids("refresh_tokens")).not.toContain(gone);
    }
    for (const gone of [mailedExpired, mailedUsed, mailedUsedExpired]) {
      expect(await ids("auth_tokens")).not.toContain(gone);
    }
    // Sessions and users are not the cleanup's business.
    const sessions = await env.DB.prepare("select count(*) as n from sessions where id = ?")
      .bind(session)
      .first<{ n: number }>();
    expect(sessions?.n).toBe(1);
    expect(sendBatch).not.toHaveBeenCalled();
  });

  it("is idempotent: a second run at the same time deletes nothing more", async () => {
    const user = await newUser();
    const session = await insertSession(user);
    await insertRefreshToken(session, T0 - HOUR);
    const live = await insertRefreshToken(session, T0 + DAY);
    await insertAuthToken(user, "email_verify", T0 - HOUR);
    await insertAuthToken(user, "password_reset", T0 + HOUR, T0 - MINUTE);
    const mailedLive = await insertAuthToken(user, "password_reset", T0 + HOUR);
    const log = vi.spyOn(console, "log");

    await runCron(CLEANUP, T0);
    expect(jobCounts(log, "token-cleanup")).toStrictEqual({
      refresh_tokens_deleted: 1,
      mailed_tokens_deleted: 2,
    });
    const refreshAfterFirst = await ids("refresh_tokens");
    const mailedAfterFirst = await ids("auth_tokens");
    expect(refreshAfterFirst).toStrictEqual([live]);
    expect(mailedAfterFirst).toStrictEqual([mailedLive]);

    await runCron(CLEANUP, T0);
    expect(jobCounts(log, "token-cleanup")).toStrictEqual({
      refresh_tokens_deleted: 0,
      mailed_tokens_deleted: 0,
    });
    expect(await ids("refresh_tokens")).toStrictEqual(refreshAfterFirst);
    expect(await ids("auth_tokens")).toStrictEqual(mailedAfterFirst);
  });

  it("uses the scheduled time: a token expires for the cleanup only once that time is past", async () => {
    const user = await newUser();
    const session = await insertSession(user);
    const refresh = await insertRefreshToken(session, T0 + HOUR);
    const mailed = await insertAuthToken(user, "email_verify", T0 + HOUR);
    await runCron(CLEANUP, T0);
    expect(await ids("refresh_tokens")).toStrictEqual([refresh]);
    expect(await ids("auth_tokens")).toStrictEqual([mailed]);
    await runCron(CLEANUP, T0 + 2 * HOUR);
    expect(await ids("refresh_tokens")).toStrictEqual([]);
    expect(await ids("auth_tokens")).toStrictEqual([]);
  });

  it("does not run the outbox sweep", async () => {
    await insertOutbox(T0 - HOUR);
    await runCron(CLEANUP, T0);
    expect(sendBatch).not.toHaveBeenCalled();
  });
});

describe("scheduled handler", () => {
  it("an unknown cron expression runs no job and does not throw", async () => {
    const user = await newUser();
    const session = await insertSession(user);
    const expired = await insertRefreshToken(session, T0 - DAY);
    await insertOutbox(T0 - HOUR);
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    await expect(runCron("0 0 * * *", T0)).resolves.toBeUndefined();
    expect(sendBatch).not.toHaveBeenCalled();
    expect(await ids("refresh_tokens")).toStrictEqual([expired]);
    expect(error).toHaveBeenCalledWith(
      JSON.stringify({ msg: "no jobs for cron", cron: "0 0 * * *" }),
    );
  });

  it("a failing job is logged, not thrown", async () => {
    const brokenDb = new Proxy(
      {},
      {
        get() {
          return () => {
            throw new Error("D1 is down");
          };
        },
      },
    );
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    await expect(
      runCron(CLEANUP, T0, { ...env, DB: brokenDb } as unknown as Env),
    ).resolves.toBeUndefined();
    const lines = error.mock.calls.map(([line]) => JSON.parse(String(line)) as { msg: string });
    expect(lines).toContainEqual({
      msg: "job failed",
      job: "token-cleanup",
      error: "Error: D1 is down",
    });
  });
});

describe(`delivered email redaction (${CLEANUP})`, () => {
  it("redacts bodies of emails delivered over a day ago, once, and leaves the rest", async () => {
    const old = await insertOutbox(T0 - 2 * DAY, "sent", 1);
    const oldFailed = await insertOutbox(T0 - 2 * DAY, "failed", 5);
    const recent = await insertOutbox(T0 - HOUR, "sent", 1);
    const oldPending = await insertOutbox(T0 - 2 * DAY, "pending", 1);
    await runCron(CLEANUP, T0);
    const body = async (id: string) =>
      (
        await env.DB.prepare("select text_body from email_outbox where id = ?")
          .bind(id)
          .first<{ text_body: string }>()
      )?.text_body;
    expect(await body(old)).toBe(REDACTED_BODY);
    expect(await body(oldFailed)).toBe(REDACTED_BODY);
    expect(await body(recent)).toBe("text");
    expect(await body(oldPending)).toBe("text");
    const log = vi.spyOn(console, "log");
    await runCron(CLEANUP, T0);
    expect(jobCounts(log, "email-redaction")).toStrictEqual({ redacted: 0 });
  });
});
