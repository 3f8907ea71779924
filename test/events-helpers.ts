// Events and reminders through the API, and the user's Scheduler object, for the events tests.
import { env } from "cloudflare:workers";
import { api, type TestUser } from "./helpers";

export const at = (text: string) => Date.parse(text);

export interface EventBody {
  id: string;
  starts_at: string;
  ends_at: string | null;
  next_due_at: string | null;
  recurrence: { freq: string; interval: number; count: number | null; until: string | null } | null;
  [field: string]: unknown;
}

export interface ReminderBody {
  id: string;
  status: string;
  remind_at: string;
  sent_at: string | null;
}

/** A daily 09:00 New York event, 10 minutes' reminder; fields override. */
export const DAILY_STANDUP = {
  title: "Standup",
  category: "work",
  type: "reminder",
  starts_at: "2032-03-02T09:00:00-05:00",
  ends_at: "2032-03-02T09:15:00-05:00",
  timezone: "America/New_York",
  recurrence: { freq: "daily" },
  remind_before_minutes: [10],
};

export async function createEvent(user: TestUser, body: Record<string, unknown> = {}) {
  const res = await api<EventBody>("POST", "/v1/events", {
    token: user.accessToken,
    body: { ...DAILY_STANDUP, ...body },
  });
  if (res.status !== 201) throw new Error(`event not created: ${res.status} ${res.text}`);
  return res.body;
}

export async function createReminder(user: TestUser, body: Record<string, unknown>) {
  const res = await api<ReminderBody>("POST", "/v1/reminders", {
    token: user.accessToken,
    body: { title: "Call the bank", ...body },
  });
  if (res.status !== 201) throw new Error(`reminder not created: ${res.status} ${res.text}`);
  return res.body;
}

/** The user's Scheduler object. */
export function schedulerOf(userId: string) {
  return env.SCHEDULER.get(env.SCHEDULER.idFromName(userId));
}

export interface StoredNotification {
  id: string;
  type: string;
  title: string;
  body: string;
  data: string;
  dedupe_key: string;
  created_at: number;
}

export async function notificationsOf(userId: string): Promise<StoredNotification[]> {
  const rows = await env.DB.prepare(
    "select id, type, title, body, data, dedupe_key, created_at from notifications where user_id = ? order by created_at, rowid",
  )
    .bind(userId)
    .all<StoredNotification>();
  return rows.results;
}
