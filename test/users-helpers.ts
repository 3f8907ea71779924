// What the users-*.test.ts files share: the /v1/me routes as one-line calls, the settings
// documents they answer, and the D1 rows that prove what a request wrote (or did not).
import { env } from "cloudflare:workers";
import { api } from "./helpers";

export type Json = Record<string, unknown>;

export interface UserRow {
  id: string;
  email: string;
  name: string | null;
  role: string;
  status: string;
  password_hash: string;
  locale: string | null;
  timezone: string | null;
  phone: string | null;
  settings: string;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
}

export async function userRow(id: string): Promise<UserRow> {
  const row = await env.DB.prepare("select * from users where id = ?").bind(id).first<UserRow>();
  if (!row) throw new Error(`no users row ${id}`);
  return row;
}

export async function sessionIdsOf(userId: string): Promise<string[]> {
  const { results } = await env.DB.prepare("select id from sessions where user_id = ?")
    .bind(userId)
    .all<{ id: string }>();
  return results.map((r) => r.id);
}

export const patchMe = (token: string, body: unknown) =>
  api<Json>("PATCH", "/v1/me", { token, body });
export const getSettings = (token: string) => api<Json>("GET", "/v1/me/settings", { token });
export const putSettings = (token: string, body: unknown) =>
  api<Json>("PUT", "/v1/me/settings", { token, body });

export const DEFAULT_SETTINGS = {
  theme: "system",
  items_per_page: 25,
  auto_refresh_seconds: 0,
  in_app_notifications: true,
  email_notifications: true,
  sms_notifications: true,
  push_notifications: true,
  notification_types: {
    system: true,
    billing: true,
    renewal: true,
    expiry: true,
    usage: true,
    reminder: true,
    event: true,
    broadcast: true,
  },
  analytics_sharing: false,
};

export const CUSTOM_SETTINGS = {
  theme: "dark",
  items_per_page: 50,
  auto_refresh_seconds: 60,
  in_app_notifications: false,
  email_notifications: false,
  sms_notifications: false,
  push_notifications: false,
  notification_types: {
    system: true,
    billing: true,
    renewal: false,
    expiry: true,
    usage: true,
    reminder: true,
    event: true,
    broadcast: false,
  },
  analytics_sharing: true,
};

export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;
