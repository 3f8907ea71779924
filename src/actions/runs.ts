// One run of a `run` action: `POST upstream_url` with `{ run_id, action, user_id, input }`,
// signed, within the action's timeout; the answer decides the run (2xx succeeded and is
// charged; anything else failed and is not).
import type { ActionMode, ActionRun, RunError } from "../db/schema";
import { ApiError } from "../lib/errors";
import { truncateUtf8 } from "./records";
import { signedHeaders, USER_ID_HEADER } from "./signing";
import type { ActionRoute } from "./table";
import { type Clock, callUpstream, outputOf } from "./upstream";

/** A run before its upstream is called. */
export function newRun(
  route: ActionRoute,
  fields: {
    id: string;
    userId: string;
    mode: ActionMode;
    idempotencyKey: string | null;
    method: string;
    path: string | null;
    requestBody: string | null;
    status: ActionRun["status"];
    now: number;
  },
): ActionRun {
  const request = fields.requestBody === null ? null : truncateUtf8(fields.requestBody);
  return {
    id: fields.id,
    userId: fields.userId,
    actionId: route.action.id,
    actionSlug: route.action.slug,
    kind: route.action.kind,
    mode: fields.mode,
    status: fields.status,
    error: null,
    priceAmount: route.price?.amount ?? null,
    priceCurrency: route.price?.currency ?? null,
    charged: false,
    idempotencyKey: fields.idempotencyKey,
    method: fields.method,
    path: fields.path,
    requestBody: request?.body ?? null,
    requestTruncated: request?.truncated ?? false,
    upstreamStatus: null,
    responseBody: null,
    responseTruncated: false,
    responseContentType: null,
    attempts: 0,
    createdAt: fields.now,
    startedAt: null,
    finishedAt: null,
    durationMs: null,
    updatedAt: fields.now,
  };
}

/** The JSON body a run's upstream receives (and the signature covers). */
export function runPayload(route: ActionRoute, runId: string, userId: string, input: unknown) {
  return JSON.stringify({ run_id: runId, action: route.action.slug, user_id: userId, input });
}

export interface Performed {
  /** The run as it ended (or, when `retry`, as it stands). */
  run: ActionRun;
  /** What the client gets on success: the upstream's JSON, or its text. */
  output: unknown;
  /** The request never got an answer: a queue may try again (no charge was made). */
  retryable: boolean;
}

/** Calls the upstream once and says how the run went. Never throws for the upstream's sake. */
export async function performRun(
  route: ActionRoute,
  base: ActionRun,
  payload: string,
  clock: Clock,
): Promise<Performed> {
  const startedAt = clock();
  const request = new Request(route.action.upstreamUrl, {
    method: route.action.method,
    headers: {
      "content-type": "application/json",
      "idempotency-key": base.id,
      [USER_ID_HEADER]: base.userId,
      ...(await signedHeaders(route.secret, payload, base.id, startedAt)),
    },
    body: payload,
  });
  const result = await callUpstream(route, request, "body");
  const finishedAt = clock();
  const ended = {
    ...base,
    attempts: base.attempts + 1,
    startedAt,
    finishedAt,
    durationMs: finishedAt - startedAt,
    updatedAt: finishedAt,
  };
  if (result.kind !== "answered") {
    const error: RunError = result.kind === "timeout" ? "upstream_timeout" : "upstream_unreachable";
    return {
      run: { ...ended, status: "failed", error },
      output: null,
      retryable: result.kind === "unreachable",
    };
  }
  const status = result.response.status;
  const text = result.text ?? "";
  const contentType = result.response.headers.get("content-type");
  const response = truncateUtf8(text);
  const succeeded = status >= 200 && status < 300;
  return {
    run: {
      ...ended,
      status: succeeded ? "succeeded" : "failed",
      error: succeeded ? null : "upstream_failed",
      charged: succeeded && route.price !== null,
      upstreamStatus: status,
      responseBody: response.body,
      responseTruncated: response.truncated,
      responseContentType: contentType,
    },
    output: succeeded ? outputOf(text, contentType) : null,
    retryable: false,
  };
}

/** The problem a failed run is answered with (the first time, and on every replay). */
export function runFailure(run: ActionRun): ApiError {
  const extensions = { run_id: run.id };
  if (run.error === "upstream_timeout") {
    return new ApiError(
      "upstream_timeout",
      `The upstream did not answer in time; nothing was charged`,
      { extensions },
    );
  }
  const detail =
    run.upstreamStatus === null
      ? "The upstream could not be reached; nothing was charged"
      : `The upstream answered ${run.upstreamStatus}; nothing was charged`;
  return new ApiError("upstream_failed", detail, { extensions });
}
