// The browser apps' API client. The access token lives in this module's memory only (never in
// localStorage, never in a readable cookie). The refresh token is an httpOnly cookie the browser
// keeps for /v1/auth and sends on refresh and logout; this code never sees it. The session
// header asks the auth routes for that cookie mode (and is the CSRF proof on refresh).

import type { SessionUser } from "./types";

export const SESSION_HEADER = "X-Session-Cookie";

export interface FieldError {
  path: string;
  message: string;
}

/** An RFC 9457 problem the API answered with (or one made up for a network failure). */
export class Problem extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly errors: FieldError[];

  constructor(body: {
    status: number;
    code?: string;
    title?: string;
    detail?: string;
    errors?: FieldError[];
  }) {
    super(body.detail ?? body.title ?? `HTTP ${body.status}`);
    this.status = body.status;
    this.code = body.code ?? "http_error";
    this.title = body.title ?? `The request failed (HTTP ${body.status})`;
    this.detail = body.detail;
    this.errors = body.errors ?? [];
  }
}

interface AuthAnswer {
  user: SessionUser;
  access_token: string;
  expires_in: number;
}

type Listener = (user: SessionUser | null) => void;

let accessToken: string | null = null;
let currentUser: SessionUser | null = null;
let refreshing: Promise<boolean> | null = null;
const listeners = new Set<Listener>();

function setSession(answer: AuthAnswer | null): void {
  accessToken = answer?.access_token ?? null;
  currentUser = answer?.user ?? null;
  for (const listener of listeners) listener(currentUser);
}

/** Called with the signed-in user (or null) whenever the session changes. */
export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export const sessionUser = (): SessionUser | null => currentUser;

/** Whether the browser holds a session cookie (the server sets a readable hint beside it). */
export const hasSessionCookie = (): boolean =>
  document.cookie.split("; ").includes("__Secure-tollgate_session=1");

async function problemOf(response: Response): Promise<Problem> {
  const type = response.headers.get("content-type") ?? "";
  if (type.includes("json")) {
    try {
      return new Problem({ status: response.status, ...(await response.json()) });
    } catch {
      // Not the JSON it claimed to be: fall through to the status alone.
    }
  }
  return new Problem({ status: response.status });
}

async function send(method: string, path: string, body: unknown, auth: boolean) {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (auth && accessToken) headers.Authorization = `Bearer ${accessToken}`;
  if (path.startsWith("/v1/auth/")) headers[SESSION_HEADER] = "1";
  try {
    return await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new Problem({
      status: 0,
      code: "network_error",
      title: "The server could not be reached",
      detail: "Check your connection and try again.",
    });
  }
}

/**
 * Trades the refresh cookie for a new access token. One refresh at a time, across tabs too (the
 * refresh token rotates, and presenting a spent one ends the session): the Web Locks API makes
 * a second tab wait, then send the cookie the first one received.
 */
export function refreshSession(): Promise<boolean> {
  refreshing ??= (async () => {
    const run = async () => {
      const response = await send("POST", "/v1/auth/refresh", {}, false);
      if (!response.ok) {
        setSession(null);
        return false;
      }
      setSession((await response.json()) as AuthAnswer);
      return true;
    };
    try {
      return navigator.locks ? await navigator.locks.request("tollgate-refresh", run) : await run();
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/** Calls the API; on an expired access token, refreshes once and retries. Throws a Problem. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  let response = await send(method, path, body, true);
  if (response.status === 401 && accessToken && (await refreshSession())) {
    response = await send(method, path, body, true);
  }
  if (!response.ok) throw await problemOf(response);
  if (response.status === 204 || response.status === 202) return undefined as T;
  return (await response.json()) as T;
}

/** Downloads a JSON answer as a file (the data export). */
export async function download(path: string, filename: string): Promise<void> {
  const data = await api<unknown>("GET", path);
  const blob = new Blob([JSON.stringify(data, null, 2)], { type: "application/json" });
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.click();
  URL.revokeObjectURL(url);
}

async function authenticate(path: string, body: unknown): Promise<SessionUser> {
  const response = await send("POST", path, body, false);
  if (!response.ok) throw await problemOf(response);
  const answer = (await response.json()) as AuthAnswer;
  setSession(answer);
  return answer.user;
}

export const signIn = (email: string, password: string) =>
  authenticate("/v1/auth/login", { email, password });

export const signUp = (input: { email: string; password: string; name?: string }) =>
  authenticate("/v1/auth/signup", input);

/** Ends the session at the server (the cookie is cleared there) and forgets the token here. */
export async function signOut(): Promise<void> {
  try {
    await send("POST", "/v1/auth/logout", {}, false);
  } finally {
    setSession(null);
  }
}

/** Forgets the session here only (after the server ended it: password change, deletion). */
export const forgetSession = (): void => setSession(null);
