// What the auth-*.test.ts files share: the auth routes as one-line calls, the shapes they
// answer, and the look-ups that prove what a request wrote (or did not).
import { decodeJwt } from "jose";
import { expect } from "vitest";
import { api, count, type Problem } from "./helpers";

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export interface PublicUser {
  id: string;
  email: string;
  name: string | null;
  role: "user" | "admin";
  email_verified: boolean;
  created_at: string;
}

export interface AuthBody {
  user: PublicUser;
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
}

export interface MeBody extends PublicUser {
  locale: string | null;
  timezone: string | null;
}

/** Asserts the problem lists field errors, each with a path and a message, naming `paths`. */
export function expectFieldErrors(body: Problem, paths: string[] = []): void {
  expect(Array.isArray(body.errors)).toBe(true);
  const errors = body.errors ?? [];
  expect(errors.length).toBeGreaterThan(0);
  for (const error of errors) {
    expect(typeof error.path).toBe("string");
    expect(typeof error.message).toBe("string");
    expect(error.message.length).toBeGreaterThan(0);
  }
  const seen = errors.map((e) => e.path);
  for (const path of paths) expect(seen).toContain(path);
}

export function post<T = Problem>(path: string, body: unknown, token?: string) {
  return api<T>("POST", path, token === undefined ? { body } : { body, token });
}

export const refresh = (refreshToken: string) =>
  post<AuthBody>("/v1/auth/refresh", { refresh_token: refreshToken });
export const logout = (refreshToken: string) =>
  post("/v1/auth/logout", { refresh_token: refreshToken });
export const me = (token?: string) =>
  api<MeBody>("GET", "/v1/me", token === undefined ? {} : { token });
export const forgot = (email: string) => post("/v1/auth/password/forgot", { email });
export const reset = (token: string, password: string) =>
  post("/v1/auth/password/reset", { token, password });
export const verifyEmail = (token: string) => post("/v1/auth/email/verify", { token });

export async function sha256Hex(value: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value)),
  );
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Rows of these tables, to prove a rejected request wrote nothing. */
export async function tableCounts(): Promise<Record<string, number>> {
  const tables = ["users", "sessions", "refresh_tokens", "auth_tokens", "email_outbox"];
  const counts: Record<string, number> = {};
  for (const table of tables) counts[table] = await count(`select count(*) as n from ${table}`);
  return counts;
}

export const countUsersWithEmail = (email: string) =>
  count("select count(*) as n from users where email = ? collate nocase", email);

export const countOutbox = (to: string, template: string) =>
  count(
    "select count(*) as n from email_outbox where to_address = ? and template = ?",
    to,
    template,
  );

export function sessionIdOf(accessToken: string): string {
  const sid = decodeJwt(accessToken).sid;
  if (typeof sid !== "string") throw new Error("access token without sid");
  return sid;
}
