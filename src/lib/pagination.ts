import { z } from "@hono/zod-openapi";
import { and, type Column, eq, lt, or, type SQL } from "drizzle-orm";
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
    throw new ApiError("invalid_request", "The cursor is not one this API gave out", {
      errors: [{ path: "cursor", message: "invalid cursor" }],
    });
  }
}

/** The condition "after this cursor" for a (createdAt desc, id desc) ordering. */
export function afterCursor(cursor: Cursor | null, createdAt: Column, id: Column): SQL | undefined {
  if (!cursor) return undefined;
  return or(
    lt(createdAt, cursor.createdAt),
    and(eq(createdAt, cursor.createdAt), lt(id, cursor.id)),
  );
}

/** Fetch limit + 1 rows; this trims the extra one and says where the next page starts. */
export function page<T extends { createdAt: number; id: string }>(rows: T[], limit: number) {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items,
    nextCursor:
      rows.length > limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null,
  };
}
