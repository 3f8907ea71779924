// POST /v1/actions/{slug}/runs, once requireAuth admitted it (counted, the price held): the
// run itself (sync), or its hand-over to the queue (async), and the answer to a replayed
// Idempotency-Key. D1 is written only past the response, and read only for a replay.
import type { ActionRun } from "../db/schema";
import type { ServiceContext } from "../lib/context";
import { ApiError } from "../lib/errors";
import { findRun, insertRunStatement, runView } from "./records";
import { newRun, performRun, runFailure, runPayload } from "./runs";
import { finishRun, settleHold } from "./settlement";
import type { ActionRoute } from "./table";
import { type Clock, outputOf } from "./upstream";

export interface RunContext extends ServiceContext {
  /** Work that must finish but not delay the answer (the request's waitUntil). */
  defer: (label: string, work: Promise<unknown>) => void;
  clock: Clock;
}

export interface Admitted {
  route: ActionRoute;
  runId: string;
  userId: string;
  /** Whether the limiter placed a hold (a priced action) that the run must settle. */
  held: boolean;
  input: unknown;
  idempotencyKey: string | null;
}

export type RunAnswer =
  | { status: 200; body: { run: ReturnType<typeof runView>; output: unknown } }
  | { status: 202; body: { run: ReturnType<typeof runView> } };

/** Runs a sync action and answers its output, or queues an async one and answers 202. */
export async function startRun(ctx: RunContext, admitted: Admitted): Promise<RunAnswer> {
  const { route, runId, userId, held } = admitted;
  const payload = runPayload(route, runId, userId, admitted.input ?? null);
  const mode = route.action.mode;
  const base = newRun(route, {
    id: runId,
    userId,
    mode,
    idempotencyKey: admitted.idempotencyKey,
    method: route.action.method,
    path: null,
    requestBody: payload,
    status: mode === "async" ? "queued" : "running",
    now: ctx.now,
  });
  if (mode === "async") return queueRun(ctx, admitted, base);

  // The record of a run in progress, written while the upstream works (a replay finds it).
  ctx.defer("action run record", insertRunStatement(ctx.db, base).run());
  // The upstream call and the settlement after it are one piece of work, handed to waitUntil
  // before the answer waits on the call: a client that goes away mid-run cancels only the
  // answer, never the capture (or the release) nor the record.
  const performing = performRun(route, base, payload, ctx.clock);
  ctx.defer(
    "action run end",
    performing.then(
      (performed) => finishRun(ctx, performed.run, held),
      // Not the upstream's doing (performRun answers for those): the hold goes back at once,
      // and the answer below throws the error.
      () => (held ? settleHold(ctx, userId, runId, false) : undefined),
    ),
  );
  const performed = await performing;
  if (performed.run.status !== "succeeded") throw runFailure(performed.run);
  return { status: 200, body: { run: runView(performed.run), output: performed.output } };
}

async function queueRun(ctx: RunContext, admitted: Admitted, base: ActionRun): Promise<RunAnswer> {
  try {
    await ctx.env.ACTION_RUNS.send({
      type: "run",
      run: base,
      input: admitted.input ?? null,
      held: admitted.held,
    });
  } catch (error) {
    console.error(
      JSON.stringify({ msg: "action run not queued", run: base.id, error: String(error) }),
    );
    const failed: ActionRun = {
      ...base,
      status: "failed",
      error: "not_queued",
      finishedAt: ctx.now,
    };
    ctx.defer("action run end", finishRun(ctx, failed, admitted.held));
    throw new ApiError("internal_error", "The run could not be queued; nothing was charged", {
      extensions: { run_id: base.id },
    });
  }
  ctx.defer("action run record", insertRunStatement(ctx.db, base).run());
  return { status: 202, body: { run: runView(base) } };
}

/**
 * A repeated Idempotency-Key: the limiter counted and held nothing and named the first run;
 * this answers it as it stands — its output, its failure, or 202 while it is under way.
 */
export async function replayRun(
  ctx: ServiceContext,
  route: ActionRoute,
  userId: string,
  firstId: string,
): Promise<RunAnswer> {
  const first = await findRun(ctx.db, firstId, userId);
  if (!first) {
    throw new ApiError(
      "conflict",
      "The first run with this Idempotency-Key is still starting; retry in a second",
      { headers: { "Retry-After": "1" }, extensions: { run_id: firstId } },
    );
  }
  if (first.actionId !== route.action.id) {
    throw new ApiError("conflict", "This Idempotency-Key was used for another action", {
      extensions: { run_id: first.id },
    });
  }
  if (first.status === "failed") throw runFailure(first);
  if (first.status !== "succeeded") return { status: 202, body: { run: runView(first) } };
  const output =
    first.responseBody === null ? null : outputOf(first.responseBody, first.responseContentType);
  return { status: 200, body: { run: runView(first), output } };
}
