import type { Context } from "hono";
import type { AppEnv } from "../lib/context";
import { ApiError } from "../lib/errors";
import PAGE from "./page-headers.json";

// The browser apps (/account, /console) are Workers static assets built by
// scripts/build-web.mjs. A file that exists is served by the assets layer without running the
// Worker (public/_headers gives it the headers below). Every other path under an app is one
// of its client-side routes (/account/keys, /console/users/usr_…): the Worker answers it with
// the app's index.html, so a reload or a link from an email opens the right page.

export const BROWSER_APPS: readonly string[] = PAGE.apps;
export const PAGE_HEADERS: Readonly<Record<string, string>> = PAGE.headers;

/** GET /account/*, /console/*: the app's page for a client-side route; 404 for a missing file. */
export async function appPage(c: Context<AppEnv>): Promise<Response> {
  const [, app, ...rest] = c.req.path.split("/");
  const last = rest.at(-1) ?? "";
  // A path whose last segment has an extension names a file, and files are served before the
  // Worker runs: this one does not exist (an old hashed bundle, a typo).
  if (!app || !BROWSER_APPS.includes(app) || last.includes(".")) {
    throw new ApiError("not_found", `No file at ${c.req.path}`);
  }
  const index = await c.env.ASSETS.fetch(new URL(`/${app}/`, c.req.url));
  if (!index.ok) throw new ApiError("not_found", `The ${app} app is not built`);
  const headers = new Headers(index.headers);
  for (const [name, value] of Object.entries(PAGE_HEADERS)) headers.set(name, value);
  headers.set("Cache-Control", "no-cache");
  return new Response(index.body, { status: 200, headers });
}
