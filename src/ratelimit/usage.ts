import { z } from "@hono/zod-openapi";
import type { WINDOW_NAMES } from "../db/plan-features";
import { STANDINGS } from "../db/schema";
import type { Env } from "../env";
import { DAY, iso, isoDate } from "../lib/time";
import type { WindowState } from "../lib/windows";
import { usageSnapshot } from "./client";
import type { UsageSnapshot } from "./messages";

const WindowSchema = z.object({
  used: z.number().int(),
  limit: z.number().int().nullable(),
  remaining: z.number().int().nullable(),
  reset_at: z.iso.datetime(),
});

export const UsageSchema = z
  .object({
    plan: z.string().nullable(),
    standing: z.enum(STANDINGS),
    windows: z.object({
      minute: WindowSchema,
      hour: WindowSchema,
      day: WindowSchema,
      month: WindowSchema,
    }),
    history: z.array(
      z.object({ date: z.string(), allowed: z.number().int(), denied: z.number().int() }),
    ),
  })
  .openapi("Usage");

export function windowsView(windows: WindowState[]) {
  const view = {} as Record<(typeof WINDOW_NAMES)[number], z.infer<typeof WindowSchema>>;
  for (const w of windows) {
    view[w.window] = {
      used: w.used,
      limit: w.limit,
      remaining: w.remaining,
      reset_at: iso(w.reset_at),
    };
  }
  return view as z.infer<typeof UsageSchema>["windows"];
}

/** The last `days` UTC dates, oldest first, with zeros for days without traffic. */
function fillHistory(history: UsageSnapshot["history"], now: number, days: number) {
  const byDate = new Map(history.map((h) => [h.date, h]));
  const today = Math.floor(now / DAY) * DAY;
  return Array.from({ length: days }, (_, i) => {
    const date = isoDate(today - (days - 1 - i) * DAY);
    return byDate.get(date) ?? { date, allowed: 0, denied: 0 };
  });
}

export async function usageOf(env: Env, userId: string, now: number, days = 30) {
  const snapshot = await usageSnapshot(env, userId, now, days);
  return {
    plan: snapshot.plan,
    standing: snapshot.standing,
    windows: windowsView(snapshot.windows),
    history: fillHistory(snapshot.history, now, days),
  };
}
