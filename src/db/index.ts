import type { BatchItem } from "drizzle-orm/batch";
import { type DrizzleD1Database, drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

export type Db = DrizzleD1Database<typeof schema>;

const opened = new WeakMap<D1Database, Db>();

/** drizzle over a D1 binding, made once per binding (it builds a query API for every table). */
export function openDb(d1: D1Database): Db {
  let db = opened.get(d1);
  if (!db) {
    db = drizzle(d1, { schema });
    opened.set(d1, db);
  }
  return db;
}

/** A property of the real object; its methods run on it (the binding's classes need that). */
function own<T extends object>(target: T, prop: string | symbol): unknown {
  const value: unknown = Reflect.get(target, prop);
  return typeof value === "function" ? value.bind(target) : value;
}

/** What D1 reported for the queries through a metered binding. */
export interface D1Usage {
  rows_read: number;
  rows_written: number;
  queries: number;
  /** Calls whose answer carries no meta in D1's API (raw(), first()): not in the row counts. */
  unmetered: number;
}

/**
 * The same D1 binding, adding up `meta.rows_read` / `meta.rows_written` of every statement run
 * through it (run, all, and each statement of a batch). D1 drops the meta of raw() and first(),
 * which drizzle uses for query-builder selects and `.returning()` outside a batch: those are
 * counted in `unmetered` only.
 */
export function meteredD1(d1: D1Database): { d1: D1Database; usage: D1Usage } {
  const usage: D1Usage = { rows_read: 0, rows_written: 0, queries: 0, unmetered: 0 };
  const tally = (result: D1Result) => {
    usage.queries++;
    usage.rows_read += result.meta?.rows_read ?? 0;
    usage.rows_written += result.meta?.rows_written ?? 0;
    return result;
  };
  const statement = (stmt: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(stmt, {
      get(target, prop) {
        if (prop === "bind") return (...values: unknown[]) => statement(target.bind(...values));
        if (prop === "run" || prop === "all") return async () => tally(await target[prop]());
        if (prop === "raw" || prop === "first") usage.unmetered++;
        return own(target, prop);
      },
    });
  const metered = new Proxy(d1, {
    get(target, prop) {
      if (prop === "prepare") return (query: string) => statement(target.prepare(query));
      if (prop === "batch")
        return async (statements: D1PreparedStatement[]) =>
          (await target.batch(statements)).map(tally);
      return own(target, prop);
    },
  });
  return { d1: metered, usage };
}

/** D1 reports a violated UNIQUE index this way; callers turn it into a 409. */
export function isUniqueViolation(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current instanceof Error && !seen.has(current)) {
    if (current.message.includes("UNIQUE constraint failed")) return true;
    seen.add(current);
    current = current.cause;
  }
  return false;
}

export type Statement = BatchItem<"sqlite">;

/** Runs statements built elsewhere (a variable number) as one D1 batch: all or nothing. */
export async function runBatch(db: Db, statements: Statement[]): Promise<void> {
  const [first, ...rest] = statements;
  if (first) await db.batch([first, ...rest]);
}
