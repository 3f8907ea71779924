// A real Chromium for the tests (the system's, /usr/bin/chromium, driven by playwright-core),
// with the guards every test gets: a page error, a console error (a CSP violation is one) or a
// request to any other host fails the test.
import type { TestContext } from "node:test";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

export const BASE_URL = process.env.E2E_BASE_URL ?? "http://localhost:8787";
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

let browser: Browser | null = null;

export async function launch(): Promise<Browser> {
  browser ??= await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  return browser;
}

export async function closeBrowser(): Promise<void> {
  await browser?.close();
  browser = null;
}

export interface GuardedPage {
  page: Page;
  context: BrowserContext;
  /** What went wrong in the page so far (page errors, console errors, foreign requests). */
  problems: string[];
}

/**
 * A fresh browser context (its own cookies) and page on the app's origin. When the test ends,
 * it fails if the page threw, logged an error, or asked any other host for anything.
 */
export async function openPage(t: TestContext): Promise<GuardedPage> {
  const context = await (await launch()).newContext({
    baseURL: BASE_URL,
    viewport: { width: 1280, height: 860 },
  });
  const page = await context.newPage();
  const problems: string[] = [];
  const origin = new URL(BASE_URL).origin;
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console error: ${message.text()}`);
  });
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.origin === origin || url.protocol === "data:" || url.protocol === "blob:") {
      return route.continue();
    }
    problems.push(`request to another host: ${route.request().url()}`);
    return route.abort("blockedbyclient");
  });
  t.after(async () => {
    await context.close();
    if (problems.length > 0) {
      throw new Error(`the page misbehaved:\n  ${problems.join("\n  ")}`);
    }
  });
  return { page, context, problems };
}

/** Fails unless nothing went wrong in the page so far (call at the end of a test, too). */
export function assertClean({ problems }: GuardedPage): void {
  if (problems.length > 0) throw new Error(`the page misbehaved:\n  ${problems.join("\n  ")}`);
}
