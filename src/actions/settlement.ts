// How a run ends: its hold captured (it succeeded) or released (it failed), and its record
// written. Neither may be lost, and neither may delay the answer: both run after the response
// (waitUntil) or in the queue consumer, each retried once at once and then handed to the
// action-runs queue, which retries until they are done. Both are idempotent (a hold is settled
// by its reference once; an ended record is written once), so a retry never charges twice.
import type { ActionRun } from "../db/schema";
import type { ServiceContext } from "../lib/context";
import { captureHold, type Pusher, releaseHold } from "../ratelimit/client";
import { saveRunStatement } from "./records";

function logFailure(ctx: Pusher, what: string, runId: string, error: unknown): void {
  console.error(
    JSON.stringify({
      msg: `action run ${what} failed`,
      origin: ctx.origin ?? "unknown",
      run: runId,
      error: String(error),
    }),
  );
}

/** Captures (the run succeeded) or releases its hold, trying twice; throws if both fail. */
export async function settleHold(
  ctx: Pusher,
  userId: string,
  runId: string,
  capture: boolean,
): Promise<void> {
  const settle = capture ? captureHold : releaseHold;
  try {
    await settle(ctx, userId, runId);
  } catch {
    await settle(ctx, userId, runId);
  }
}

/**
 * Ends a run: settles its hold (when one was placed) by `run.charged`, then writes the record.
 * Never throws: what cannot be done now goes to the queue, and failing that, to the log (the
 * limiter releases a forgotten hold itself; the sweep ends a record left open).
 */
export async function finishRun(
  ctx: ServiceContext,
  run: ActionRun,
  held: boolean,
  record: (ctx: ServiceContext, run: ActionRun) => Promise<void> = recordRun,
) {
  if (held) {
    try {
      await settleHold(ctx, run.userId, run.id, run.charged);
    } catch (error) {
      logFailure(ctx, "settlement", run.id, error);
      await ctx.env.ACTION_RUNS.send({
        type: "settle",
        run_id: run.id,
        user_id: run.userId,
        capture: run.charged,
      }).catch((sendError: unknown) => logFailure(ctx, "settlement queueing", run.id, sendError));
    }
  }
  await record(ctx, run);
}

/** Writes the run's record (whole, and never over an ended one); queued when D1 fails. */
export async function recordRun(ctx: ServiceContext, run: ActionRun): Promise<void> {
  try {
    await saveRunStatement(ctx.db, run);
  } catch (error) {
    logFailure(ctx, "record", run.id, error);
    await ctx.env.ACTION_RUNS.send({ type: "record", run }).catch((sendError: unknown) =>
      logFailure(ctx, "record queueing", run.id, sendError),
    );
  }
}

/**
 * The record of a proxied call, handed to the queue: its consumer writes a batch of records in
 * one D1 batch, so a busy proxy costs D1 one write per batch rather than one per call (nothing
 * reads a proxied call's record back on the request path). D1 directly if the queue refuses.
 */
export async function queueRecord(ctx: ServiceContext, run: ActionRun): Promise<void> {
  try {
    await ctx.env.ACTION_RUNS.send({ type: "record", run });
  } catch (error) {
    logFailure(ctx, "record queueing", run.id, error);
    await recordRun(ctx, run);
  }
}
