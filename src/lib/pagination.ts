import { z } from "@hono/zod-openapi";
import { and, type Column, desc, eq, lt, or, type SQL } from "drizzle-orm";
import { msg } from "../i18n";
import { base64UrlEncode } from "./crypto";
import { ApiError } from "./errors";

// Keyset pagination, newest first, on (created_at, id): stable under inserts, no OFFSET scans.
export interface Cursor {
  createdAt: number;
  id: string;
}

export const PageQuery = {
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z
    .string()
    .max(200)
    .optional()
    .openapi({ description: "next_cursor from the previous page" }),
};

export function encodeCursor(cursor: Cursor): string {
  return base64UrlEncode(new TextEncoder().encode(`${cursor.createdAt}.${cursor.id}`));
}

export function decodeCursor(text: string | undefined): Cursor | null {
  if (text === undefined) return null;
  try {
    const decoded = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
    const dot = decoded.indexOf(".");
    const createdAt = Number(decoded.slice(0, dot));
    const id = decoded.slice(dot + 1);
    if (dot < 1 || !Number.isSafeInteger(createdAt) || !/^[a-z]{3}_[0-9a-z]+$/.test(id))
      throw new Error();
    return { createdAt, id };
  } catch {
    throw new ApiError("invalid_request", msg("problems.invalid_request.cursor"), {
      errors: [{ path: "cursor", message: msg("validation.invalid_cursor") }],
    });
  }
}

/** What keysetPage hands the query it runs: the cursor's condition, the order and the limit. */
export interface PageWindow {
  /** "After the cursor" for a (time desc, id desc) order; undefined on the first page. */
  after: SQL | undefined;
  orderBy: [SQL, SQL];
  /** One more than the page holds: the extra row says whether there is a next page. */
  limit: number;
}

/**
 * One page of a list, newest first, ordered on (time, id). `select` runs the caller's query
 * with the window's condition, order and limit (and its own filters); this answers the page and
 * the next cursor.
 */
export async function keysetPage<T extends { id: string }>(
  query: { limit: number; cursor?: string | undefined },
  select: (window: PageWindow) => Promise<T[]>,
  keys: { time: Column; id: Column; timeOf: (row: T) => number },
): Promise<{ items: T[]; next_cursor: string | null }> {
  const cursor = decodeCursor(query.cursor);
  const rows = await select({
    after: cursor
      ? or(
          lt(keys.time, cursor.createdAt),
          and(eq(keys.time, cursor.createdAt), lt(keys.id, cursor.id)),
        )
      : undefined,
    orderBy: [desc(keys.time), desc(keys.id)],
    limit: query.limit + 1,
  });
  const items = rows.slice(0, query.limit);
  const last = items.at(-1);
  return {
    items,
    next_cursor:
      rows.length > query.limit && last
        ? encodeCursor({ createdAt: keys.timeOf(last), id: last.id })
        : null,
  };
}
