// What the admin-*.test.ts files share: the admin routes as one-line calls, their shapes, a
// cursor walker, and direct look-ups of the rows they change.
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { type ApiResponse, api, count } from "./helpers";

export interface AdminUser {
  id: string;
  email: string;
  name: string | null;
  role: "user" | "admin";
  status: "active" | "disabled" | "deleted";
  email_verified: boolean;
  created_at: string;
  updated_at: string;
  locale: string | null;
  timezone: string | null;
}

export interface UserList {
  data: AdminUser[];
  next_cursor: string | null;
}

export interface AuditEntry {
  id: string;
  actor_id: string;
  action: string;
  target_type: string;
  target_id: string;
  data: { before?: Record<string, unknown>; after?: Record<string, unknown> };
  created_at: string;
}

export interface AuditList {
  data: AuditEntry[];
  next_cursor: string | null;
}

export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;

/** A short marker that makes a group of emails findable by substring. */
export function marker(prefix = "m"): string {
  return `${prefix}${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
}

export function listUsers(token: string, query: Record<string, string | number> = {}) {
  const qs = new URLSearchParams(
    Object.entries(query).map(([k, v]) => [k, String(v)] as [string, string]),
  ).toString();
  return api<UserList>("GET", `/v1/admin/users${qs ? `?${qs}` : ""}`, { token });
}

export function listAudit(token: string, query: Record<string, string | number> = {}) {
  const qs = new URLSearchParams(
    Object.entries(query).map(([k, v]) => [k, String(v)] as [string, string]),
  ).toString();
  return api<AuditList>("GET", `/v1/admin/audit${qs ? `?${qs}` : ""}`, { token });
}

/** Follows next_cursor to the end; fails on a page that breaks the limit or loops. */
export async function walk<T extends { id: string }>(
  fetchPage: (cursor?: string) => Promise<ApiResponse<{ data: T[]; next_cursor: string | null }>>,
  limit: number,
): Promise<{ items: T[]; pages: number[] }> {
  const items: T[] = [];
  const pages: number[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 50; i++) {
    const res = await fetchPage(cursor);
    expect(res.status, res.text).toBe(200);
    expect(res.body.data.length).toBeLessThanOrEqual(limit);
    items.push(...res.body.data);
    pages.push(res.body.data.length);
    if (res.body.next_cursor === null) return { items, pages };
    expect(res.body.next_cursor).not.toBe(cursor);
    cursor = res.body.next_cursor;
  }
  throw new Error("pagination did not end");
}

export function patchUser(token: string, id: string, body: unknown) {
  return api<AdminUser>("PATCH", `/v1/admin/users/${id}`, { token, body });
}

export function refresh(refreshToken: string) {
  return api("POST", "/v1/auth/refresh", { body: { refresh_token: refreshToken } });
}

export function jwtClaims(token: string): Record<string, unknown> {
  const payload = token.split(".")[1] ?? "";
  return JSON.parse(atob(payload.replaceAll("-", "+").replaceAll("_", "/")));
}

export async function userRow(id: string) {
  const row = await env.DB.prepare("select * from users where id = ?").bind(id).first<{
    role: string;
    status: string;
    updated_at: number;
    email: string;
  }>();
  if (!row) throw new Error(`no users row ${id}`);
  return row;
}

export async function setCreatedAt(table: "users" | "audit_log", id: string, createdAt: number) {
  await env.DB.prepare(`update ${table} set created_at = ? where id = ?`).bind(createdAt, id).run();
}

export const auditRows = (targetId: string) =>
  count("select count(*) as n from audit_log where target_id = ?", targetId);
