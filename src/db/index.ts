import type { BatchItem } from "drizzle-orm/batch";
import { type DrizzleD1Database, drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

export type Db = DrizzleD1Database<typeof schema>;

export function openDb(d1: D1Database): Db {
  return drizzle(d1, { schema });
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
