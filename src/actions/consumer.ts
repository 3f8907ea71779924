// The action-runs queue: async runs, and what a sync run could not settle or record at once.
// A run is retried only when its upstream could not be reached (no answer, so nothing was done
// and nothing charged); an answer of any kind, or a timeout, ends it. A delivery of a run that
// has already ended only makes sure its hold is settled: never a second call, never a second
// charge (holds are settled by reference, once).
import { runBatch } from "../db";
import type { ActionRunMessage } from "../env";
import type { ServiceContext } from "../lib/context";
import { holdOpen } from "../ratelimit/client";
import { findRun, saveRunStatement, TERMINAL } from "./records";
import { performRun, runPayload } from "./runs";
import { settleHold } from "./settlement";
import { routeTable } from "./table";

/**
 * 10 s, 20 s, 40 s: with max_retries = 3 in wrangler.toml a run is over within minutes, well
 * inside the limiter's expiry of a forgotten hold.
 */
const backoff = (attempts: number) => ({ delaySeconds: Math.min(120, 10 * 2 ** (attempts - 1)) });

type RunMessage = Extract<ActionRunMessage, { type: "run" }>;

async function runQueued(ctx: ServiceContext, message: RunMessage): Promise<"done" | "retry"> {
  const { db } = ctx;
  const queued = message.run;
  const existing = await findRun(db, queued.id);
  if (existing && TERMINAL.includes(existing.status)) {
    if (message.held) await settleHold(ctx, queued.userId, queued.id, existing.charged);
    return "done";
  }
  const base = existing ?? queued;
  const route = (await routeTable(ctx)).byId(queued.actionId);
  if (!route) {
    await saveRunStatement(db, {
      ...base,
      status: "failed",
      error: "action_unavailable",
      finishedAt: ctx.now,
      updatedAt: ctx.now,
    });
    if (message.held) await settleHold(ctx, queued.userId, queued.id, false);
    return "done";
  }
  if (message.held && !(await holdOpen(ctx, queued.userId, queued.id))) {
    // Its hold expired (and went back to the wallet): nothing can be charged, so no call.
    await saveRunStatement(db, {
      ...base,
      status: "failed",
      error: "hold_expired",
      finishedAt: ctx.now,
      updatedAt: ctx.now,
    });
    return "done";
  }
  await saveRunStatement(db, { ...base, status: "running", updatedAt: ctx.now });
  const payload = runPayload(route, queued.id, queued.userId, message.input);
  const performed = await performRun(route, base, payload, Date.now);
  if (performed.retryable) {
    // No answer: kept open (with its attempts) for the next delivery.
    await saveRunStatement(db, { ...performed.run, status: "queued", error: null });
    return "retry";
  }
  await saveRunStatement(db, performed.run);
  if (message.held) await settleHold(ctx, queued.userId, queued.id, performed.run.charged);
  return "done";
}

async function handle(ctx: ServiceContext, message: Message<ActionRunMessage>): Promise<void> {
  const body = message.body;
  try {
    if (body.type === "settle") {
      await settleHold(ctx, body.user_id, body.run_id, body.capture);
    } else if (body.type === "run" && (await runQueued(ctx, body)) === "retry") {
      message.retry(backoff(message.attempts));
      return;
    }
    message.ack();
  } catch (error) {
    console.error(
      JSON.stringify({ msg: "action run message failed", type: body.type, error: String(error) }),
    );
    message.retry(backoff(message.attempts));
  }
}

type RecordMessage = Message<Extract<ActionRunMessage, { type: "record" }>>;

const isRecord = (message: Message<ActionRunMessage>): message is RecordMessage =>
  message.body.type === "record";

/** A batch's run records (proxied calls, and sync runs D1 refused) in one D1 batch. */
async function saveRecords(ctx: ServiceContext, messages: RecordMessage[]): Promise<void> {
  if (messages.length === 0) return;
  try {
    await runBatch(
      ctx.db,
      messages.map((m) => saveRunStatement(ctx.db, m.body.run)),
    );
    for (const message of messages) message.ack();
  } catch (error) {
    console.error(JSON.stringify({ msg: "action run records not saved", error: String(error) }));
    for (const message of messages) message.retry(backoff(message.attempts));
  }
}

export async function consumeActionRuns(
  ctx: ServiceContext,
  batch: MessageBatch<ActionRunMessage>,
): Promise<void> {
  const records = batch.messages.filter(isRecord);
  // Runs are independent: a batch waits for its slowest upstream, not for the sum.
  await Promise.all([
    saveRecords(ctx, records),
    ...batch.messages.filter((m) => !isRecord(m)).map((message) => handle(ctx, message)),
  ]);
}

/**
 * After the last retry. A run that never got an answer ends failed (unreachable) and its hold
 * is released; settling and recording get one more try, then the log (the limiter releases a
 * forgotten hold itself, and the sweep ends a record left open).
 */
export async function consumeDeadActionRuns(
  ctx: ServiceContext,
  batch: MessageBatch<ActionRunMessage>,
): Promise<void> {
  for (const message of batch.messages) {
    const body = message.body;
    try {
      if (body.type === "settle") {
        await settleHold(ctx, body.user_id, body.run_id, body.capture);
      } else if (body.type === "record") {
        await saveRunStatement(ctx.db, body.run);
      } else {
        const existing = await findRun(ctx.db, body.run.id);
        const ended = existing && TERMINAL.includes(existing.status) ? existing : null;
        if (!ended) {
          await saveRunStatement(ctx.db, {
            ...(existing ?? body.run),
            status: "failed",
            error: "upstream_unreachable",
            finishedAt: ctx.now,
            updatedAt: ctx.now,
          });
        }
        if (body.held) await settleHold(ctx, body.run.userId, body.run.id, ended?.charged ?? false);
      }
    } catch (error) {
      console.error(
        JSON.stringify({ msg: "dead action run message", type: body.type, error: String(error) }),
      );
    }
    message.ack();
  }
}
