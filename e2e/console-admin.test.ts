// The admin console in a real browser: an admin signs in, sees the MRR chart, finds a user,
// opens them and resets their usage (keyboard only, in the confirmation dialog); the CSV export
// downloads. The admin is made as a deployment makes its first one: an address in ADMIN_EMAILS
// (admin@example.com in .dev.vars.example) whose owner confirms it from the emailed link.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import type { Page } from "playwright-core";
import { accessibilityProblems } from "./a11y.ts";
import { assertClean, BASE_URL, closeBrowser, openPage } from "./browser.ts";
import { emailedLink, PASSWORD, uniqueEmail } from "./helpers.ts";

after(closeBrowser);

const ADMIN = "admin@example.com";

async function call<T>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
  const response = await fetch(`${BASE_URL}${path}`, {
    method,
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

interface Session {
  user: { id: string; role: string };
  access_token: string;
}

let customer = "";
let ready = false;

before(async () => {
  // The first admin: signs up, confirms the address from the email, and is an admin from then on.
  await fetch(`${BASE_URL}/v1/auth/signup`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: ADMIN, password: PASSWORD }),
  });
  const link = await emailedLink(ADMIN, "/account/verify");
  if (!link) return; // a server started elsewhere: its emails cannot be read
  await call("POST", "/v1/auth/email/verify", { token: new URL(link).searchParams.get("token") });
  const admin = await call<Session>("POST", "/v1/auth/login", { email: ADMIN, password: PASSWORD });
  assert.equal(admin.user.role, "admin");
  // The admin stays on the free plan (20 a minute): the console's calls are account routes,
  // counted in the admin's account window, never the plan's.
  // A customer with some traffic, on a granted plan, and yesterday's revenue snapshot: the
  // dashboard's chart has a point, the user's meters a number.
  customer = uniqueEmail("customer");
  const signedUp = await call<Session>("POST", "/v1/auth/signup", {
    email: customer,
    password: PASSWORD,
  });
  await call(
    "PUT",
    `/v1/admin/users/${signedUp.user.id}/subscription`,
    { plan_id: "pln_pro" },
    admin.access_token,
  );
  for (let i = 0; i < 5; i++) await call("GET", "/v1/ping", undefined, signedUp.access_token);
  await call("POST", "/v1/admin/jobs/revenue-snapshot/run", undefined, admin.access_token);
  ready = true;
});

async function expectAccessible(page: Page, where: string) {
  assert.deepEqual(await accessibilityProblems(page), [], `accessibility of ${where}`);
}

async function signIn(page: Page) {
  await page.goto("/console/");
  await page.getByRole("heading", { name: "Console sign-in" }).waitFor();
  await page.getByLabel("Email").fill(ADMIN);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByLabel("Password").press("Enter");
  await page.getByRole("heading", { name: "Dashboard" }).waitFor();
}

const nav = (page: Page, name: string) =>
  page.getByRole("navigation", { name: "Main" }).getByRole("link", { name });

test("an admin signs in, sees the MRR chart, finds a user, opens them and resets their usage", async (t) => {
  if (!ready) return t.skip("needs the worker's email log (E2E_WORKER_LOG)");
  const guarded = await openPage(t);
  const { page } = guarded;
  await signIn(page);

  // The dashboard: the MRR chart drawn (a canvas), its movements, the key figures.
  await page.getByRole("img", { name: "MRR (USD)" }).locator("canvas").waitFor();
  await page.getByRole("img", { name: "MRR movements" }).locator("canvas").waitFor();
  const net = page.locator("table.movements").getByRole("row", { name: /Net new MRR/ });
  assert.match((await net.textContent()) ?? "", /Net new MRR\+\$\d/);
  await page.getByText("Subscribers by plan").waitFor();
  await page.getByRole("heading", { name: "Job health" }).waitFor();
  await expectAccessible(page, "the dashboard");

  // Users: search by email; the row has its plan, standing and usage bars.
  await nav(page, "Users").click();
  await page.getByRole("heading", { name: "Users", exact: true }).waitFor();
  await page.getByLabel("Email or user id").fill(customer.slice(0, 16));
  await page.getByLabel("Email or user id").press("Enter");
  const row = page.getByRole("row", { name: new RegExp(customer) });
  await row.waitFor();
  assert.equal(await page.locator("tbody tr").count(), 1);
  await row.getByLabel("Plan pro").waitFor();
  await row.getByLabel("Standing: Good").waitFor();
  assert.match(
    (await row.getByRole("list", { name: `Usage of ${customer}` }).textContent()) ?? "",
    /Day/,
  );
  assert.match(page.url(), /\/console\/users\?q=/);
  await expectAccessible(page, "the users page");

  // The user's page: their usage counted 5 requests today.
  await row.getByRole("link", { name: customer }).click();
  await page.getByRole("heading", { name: customer }).waitFor();
  const today = page.locator(".meter", { hasText: "Today (UTC)" });
  await today.getByText(/^5 of /).waitFor();
  await page
    .getByRole("img", { name: "Requests per day, last 30 days" })
    .locator("canvas")
    .waitFor();
  await page.getByText("granted by an admin (no charge)").waitFor();
  await expectAccessible(page, "the user's page");

  // Reset usage, by keyboard: the dialog takes the focus, Escape closes it and gives the focus
  // back; Enter on "Reset usage" confirms.
  const open = page.getByRole("button", { name: "Reset usage…" });
  await open.focus();
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog", { name: `Reset the usage of ${customer}` });
  await dialog.waitFor();
  assert.equal(await dialog.evaluate((el) => el.contains(document.activeElement)), true);
  await expectAccessible(page, "the reset dialog");
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "hidden" });
  assert.equal(await open.evaluate((el) => el === document.activeElement), true);
  assert.match((await today.textContent()) ?? "", /5 of /);

  await page.keyboard.press("Enter");
  await dialog.waitFor();
  await dialog.getByRole("button", { name: "Reset usage" }).focus();
  await page.keyboard.press("Enter");
  await dialog.waitFor({ state: "hidden" });
  await page.getByText("Usage reset (minute, hour, day, month).").waitFor();
  await today.getByText(/^0 of /).waitFor();
  // The action is on record, on the same page.
  await page.getByRole("cell", { name: "usage.reset" }).waitFor();
  assertClean(guarded);
});

test("every console page and dialog passes the accessibility check, contrast included", async (t) => {
  if (!ready) return t.skip("needs the worker's email log (E2E_WORKER_LOG)");
  const guarded = await openPage(t);
  const { page } = guarded;
  await signIn(page);
  const pages: [string, string][] = [
    ["/", "Dashboard"],
    ["/users", "Users"],
    ["/plans", "Plans"],
    ["/plans/new", "New plan"],
    ["/plans/pln_pro", "Edit Pro"],
    ["/coupons", "Coupons"],
    ["/coupons/new", "New coupon"],
    ["/payments", "Payments"],
    ["/webhooks", "Webhook events"],
    ["/jobs", "Jobs"],
    ["/audit", "Audit log"],
  ];
  for (const [path, heading] of pages) {
    await page.goto(`/console${path}`);
    await page.getByRole("heading", { name: heading, exact: true }).waitFor();
    await page.getByText("Loading…").first().waitFor({ state: "detached" });
    await expectAccessible(page, path);
  }
  await page.goto(`/console/users?q=${encodeURIComponent(customer)}`);
  await page.getByRole("link", { name: customer }).click();
  await page.getByRole("heading", { name: customer }).waitFor();
  for (const action of ["Change plan…", "Disable account…"]) {
    await page.getByRole("button", { name: action }).click();
    await page.getByRole("dialog").waitFor();
    await expectAccessible(page, action);
    await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
    await page.getByRole("dialog").waitFor({ state: "hidden" });
  }
  assertClean(guarded);
});

test("the users CSV export downloads every matching user, defused for spreadsheets", async (t) => {
  if (!ready) return t.skip("needs the worker's email log (E2E_WORKER_LOG)");
  const guarded = await openPage(t);
  const { page } = guarded;
  await signIn(page);
  await page.goto(`/console/users?q=${encodeURIComponent(customer)}`);
  await page.getByRole("row", { name: new RegExp(customer) }).waitFor();
  const [file] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Export CSV" }).click(),
  ]);
  assert.match(file.suggestedFilename(), /^tollgate-users-\d{4}-\d{2}-\d{2}\.csv$/);
  const lines = readFileSync(await file.path(), "utf8")
    .replace(/^\ufeff/, "")
    .split("\r\n");
  assert.match(lines[0] ?? "", /^id,email,name,role,status,plan,standing,/);
  assert.equal(lines.filter((l) => l.includes(customer)).length, 1);
  assert.match(lines.find((l) => l.includes(customer)) ?? "", /,pro,good,/);
  await page.getByText("Exported 1 users.").waitFor();
  assertClean(guarded);
});

test("screenshot of the console (E2E_SCREENSHOTS=1)", async (t) => {
  if (process.env.E2E_SCREENSHOTS !== "1") return t.skip("set E2E_SCREENSHOTS=1");
  if (!ready) return t.skip("needs the worker's email log (E2E_WORKER_LOG)");
  // Users on different plans and at different levels of their minute window (the free plan
  // allows 20): the tags and the bars show what the console is for.
  const admin = await call<Session>("POST", "/v1/auth/login", { email: ADMIN, password: PASSWORD });
  const people: [string, string | null, number][] = [
    ["Grace Hopper", "pln_enterprise", 40],
    ["Ada Lovelace", "pln_pro", 12],
    ["Alan Turing", "pln_basic", 3],
    ["Edsger Dijkstra", null, 17],
    ["Barbara Liskov", null, 20],
  ];
  for (const [name, plan, requests] of people) {
    const email = uniqueEmail(`shot-${name.split(" ")[0]?.toLowerCase()}`);
    const user = await call<Session>("POST", "/v1/auth/signup", {
      email,
      password: PASSWORD,
      name,
    });
    if (plan) {
      await call(
        "PUT",
        `/v1/admin/users/${user.user.id}/subscription`,
        { plan_id: plan },
        admin.access_token,
      );
    }
    for (let i = 0; i < requests; i++) {
      await fetch(`${BASE_URL}/v1/ping`, {
        headers: { authorization: `Bearer ${user.access_token}` },
      });
    }
  }
  const guarded = await openPage(t);
  const { page } = guarded;
  await signIn(page);
  await page.goto("/console/users?q=shot-");
  await page
    .locator("tbody tr")
    .nth(people.length - 1)
    .waitFor();
  mkdirSync("docs/screenshots", { recursive: true });
  await page.screenshot({ path: "docs/screenshots/console.png", fullPage: true });
  assertClean(guarded);
});
