// What the browser tests share besides the browser: accounts made through the API, unique emails.
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { BASE_URL } from "./browser.ts";

export const uniqueEmail = (who: string) => `${who}-${randomUUID().slice(0, 8)}@e2e.test`;
export const PASSWORD = "correct horse battery staple";

/** Signs up through the JSON API (as an API client would); answers the user's id. */
export async function signupViaApi(email: string, password = PASSWORD): Promise<string> {
  const response = await fetch(`${BASE_URL}/v1/auth/signup`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  if (response.status !== 201) throw new Error(`signup failed: ${await response.text()}`);
  return ((await response.json()) as { user: { id: string } }).user.id;
}

/**
 * Runs SQL on the Worker's local D1 (what a provider's webhook would have written: a
 * subscription, a payment). False without the persistence directory.
 */
export function d1(sql: string): boolean {
  const dir = process.env.E2E_PERSIST_DIR;
  if (!dir) return false;
  execFileSync(
    "npx",
    ["wrangler", "d1", "execute", "DB", "--local", "--persist-to", dir, "--command", sql],
    { stdio: "ignore", env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" } },
  );
  return true;
}

/**
 * The link of the last email to `to` whose link path is `path` (the dev server logs every email
 * with its text); waits for the queue consumer to send it. Null without a worker log.
 */
export async function emailedLink(to: string, path: string): Promise<string | null> {
  const file = process.env.E2E_WORKER_LOG;
  if (!file) return null;
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const links = readFileSync(file, "utf8")
      .split("\n")
      .filter((line) => line.startsWith('{"msg":"email"') && line.includes(`"to":"${to}"`))
      .flatMap((line) => [...(JSON.parse(line).text as string).matchAll(/https?:\/\/\S+/g)])
      .map((m) => m[0])
      .filter((link) => new URL(link).pathname === path);
    const last = links.at(-1);
    if (last) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no email to ${to} with a link to ${path}`);
}
