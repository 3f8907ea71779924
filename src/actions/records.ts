// Run records in D1: written around the upstream call, never before it (the run path reads and
// writes no D1 while it gates a request), read by the users' and admins' run lists.
import { and, eq, inArray, lt, sql } from "drizzle-orm";
import type { Db } from "../db";
import { type ActionRun, actionRuns, type RunStatus } from "../db/schema";
import { notFound } from "../lib/errors";
import { keysetPage } from "../lib/pagination";
import { iso } from "../lib/time";

/** Request and response bodies are stored up to this many bytes of UTF-8. */
export const BODY_LOG_BYTES = 16 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The text cut to `max` bytes of UTF-8, never inside a character. */
export function truncateUtf8(
  text: string,
  max = BODY_LOG_BYTES,
): { body: string; truncated: boolean } {
  // Short enough whatever the characters: 3 bytes at most per UTF-16 unit.
  if (text.length * 3 <= max) return { body: text, truncated: false };
  const bytes = encoder.encode(text);
  if (bytes.byteLength <= max) return { body: text, truncated: false };
  let end = max;
  // Back off continuation bytes (10xxxxxx) so the cut falls between characters.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return { body: decoder.decode(bytes.subarray(0, end)), truncated: true };
}

export const TERMINAL: readonly RunStatus[] = ["succeeded", "failed"];

/** The run's first record (queued or running); a record already there is left alone. */
export function insertRunStatement(db: Db, run: ActionRun) {
  return db.insert(actionRuns).values(run).onConflictDoNothing({ target: actionRuns.id });
}

/**
 * The run as it stands now, written whole (so a lost first record does not matter), except over
 * a run that has already ended: an end is written once.
 */
export function saveRunStatement(db: Db, run: ActionRun) {
  const { id: _id, createdAt: _createdAt, userId: _userId, ...changes } = run;
  return db
    .insert(actionRuns)
    .values(run)
    .onConflictDoUpdate({
      target: actionRuns.id,
      set: changes,
      setWhere: sql`${actionRuns.status} not in ('succeeded', 'failed')`,
    });
}

export function runView(run: ActionRun) {
  const proxied = run.kind === "proxy";
  return {
    id: run.id,
    action: run.actionSlug,
    user_id: run.userId,
    kind: run.kind,
    mode: run.mode,
    status: run.status,
    error: run.error,
    price:
      run.priceAmount !== null && run.priceCurrency !== null
        ? { amount: run.priceAmount, currency: run.priceCurrency }
        : null,
    charged: run.charged,
    idempotency_key: run.idempotencyKey,
    method: run.method,
    path: run.path,
    upstream_status: run.upstreamStatus,
    request:
      proxied || run.requestBody === null
        ? null
        : { body: run.requestBody, truncated: run.requestTruncated },
    response:
      proxied || run.responseBody === null
        ? null
        : {
            body: run.responseBody,
            truncated: run.responseTruncated,
            content_type: run.responseContentType,
          },
    attempts: run.attempts,
    created_at: iso(run.createdAt),
    started_at: iso(run.startedAt),
    finished_at: iso(run.finishedAt),
    duration_ms: run.durationMs,
  };
}

export async function listRuns(
  db: Db,
  filter: {
    userId?: string | undefined;
    slug?: string | undefined;
    status?: RunStatus | undefined;
  },
  query: { limit: number; cursor?: string | undefined },
) {
  const { items, next_cursor } = await keysetPage(
    query,
    ({ after, orderBy, limit }) =>
      db
        .select()
        .from(actionRuns)
        .where(
          and(
            after,
            filter.userId ? eq(actionRuns.userId, filter.userId) : undefined,
            filter.slug ? eq(actionRuns.actionSlug, filter.slug) : undefined,
            filter.status ? eq(actionRuns.status, filter.status) : undefined,
          ),
        )
        .orderBy(...orderBy)
        .limit(limit),
    { time: actionRuns.createdAt, id: actionRuns.id, timeOf: (row) => row.createdAt },
  );
  return { data: items.map(runView), next_cursor };
}

/** One run; another user's is "not found", exactly like one that does not exist. */
export async function findRun(db: Db, id: string, ownerId?: string): Promise<ActionRun | null> {
  const run = await db.query.actionRuns.findFirst({
    where: ownerId
      ? and(eq(actionRuns.id, id), eq(actionRuns.userId, ownerId))
      : eq(actionRuns.id, id),
  });
  return run ?? null;
}

export async function getRun(db: Db, id: string, ownerId?: string): Promise<ActionRun> {
  const run = await findRun(db, id, ownerId);
  if (!run) throw notFound("Run");
  return run;
}

/** Runs left open (their isolate died mid-run, a message was lost) since before `before`. */
export async function openRuns(db: Db, before: number, limit: number): Promise<ActionRun[]> {
  return db
    .select()
    .from(actionRuns)
    .where(and(inArray(actionRuns.status, ["queued", "running"]), lt(actionRuns.updatedAt, before)))
    .orderBy(actionRuns.updatedAt)
    .limit(limit);
}
