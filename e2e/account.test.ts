// The customer portal in a real browser: sign-up, usage and plan, API keys shown once, revoke;
// the email flows (verify, reset) from the links the dev server logs.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { after, test } from "node:test";
import type { Page } from "playwright-core";
import { accessibilityProblems } from "./a11y.ts";
import { assertClean, BASE_URL, closeBrowser, openPage } from "./browser.ts";
import { d1, emailedLink, PASSWORD, signupViaApi, uniqueEmail } from "./helpers.ts";

after(closeBrowser);

async function expectAccessible(page: Page, where: string) {
  assert.deepEqual(await accessibilityProblems(page), [], `accessibility of ${where}`);
}

async function signUpInBrowser(page: Page, email: string) {
  await page.goto("/account/signup");
  await page.getByRole("heading", { name: "Create your account" }).waitFor();
  await expectAccessible(page, "the sign-up page");
  await page.getByLabel("Name (optional)").fill("Ada Lovelace");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  // Enter submits the form.
  await page.getByLabel("Password").press("Enter");
  await page.getByRole("heading", { name: "Overview" }).waitFor();
}

const nav = (page: Page, name: string) =>
  page.getByRole("navigation", { name: "Main" }).getByRole("link", { name });

test("a customer signs up and sees their plan and usage", async (t) => {
  const guarded = await openPage(t);
  const { page } = guarded;
  await signUpInBrowser(page, uniqueEmail("signup"));
  await page.locator(".plan-name", { hasText: "Free" }).waitFor();
  await page.getByText("Confirm your email address.").waitFor();
  // The overview's meters: one per window, each saying when it resets.
  await page.getByText("This minute").waitFor();
  assert.equal(await page.getByText(/^Resets /).count(), 4);
  await expectAccessible(page, "the overview");

  await nav(page, "Usage").click();
  await page.getByRole("heading", { name: "Usage", exact: true }).waitFor();
  await page.locator(".chart-canvas canvas").waitFor();
  await page.getByText(/requests allowed and \d+ refused over 30 days/).waitFor();
  await expectAccessible(page, "the usage page");

  await nav(page, "Plan and billing").click();
  await page.getByRole("heading", { name: "Plan and billing" }).waitFor();
  await page.getByText("You are on the free plan").waitFor();
  await page.getByRole("heading", { name: "Pro" }).waitFor();
  await page.getByText("No payments yet.").waitFor();
  await page.getByRole("button", { name: "Choose Pro" }).click();
  await page.getByLabel("Pay with").waitFor();
  await expectAccessible(page, "the billing page");
  assertClean(guarded);
});

test("an API key is shown once, works, and stops working when revoked", async (t) => {
  const guarded = await openPage(t);
  const { page, context } = guarded;
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: BASE_URL });
  await signUpInBrowser(page, uniqueEmail("keys"));
  await nav(page, "API keys").click();
  await page.getByText("No keys yet.").waitFor();
  await page.getByLabel("Name").fill("ci server");
  await page.getByRole("button", { name: "Create key" }).click();
  const shown = page.locator("#new-api-key");
  await shown.waitFor();
  const key = (await shown.textContent()) ?? "";
  assert.match(key, /^tgk_/);
  await page.getByRole("button", { name: "Copy key" }).click();
  await page.getByText("Copied to the clipboard.").waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), key);
  await expectAccessible(page, "the keys page with a new key");

  // The key works against the API.
  const ping = await fetch(`${BASE_URL}/v1/ping`, { headers: { authorization: `Bearer ${key}` } });
  assert.equal(ping.status, 200);

  // Gone after navigating away and back, and after a reload; the list shows only its prefix.
  await nav(page, "Overview").click();
  await nav(page, "API keys").click();
  const row = page.getByRole("row", { name: /ci server/ });
  await row.waitFor();
  assert.equal(await page.locator("#new-api-key").count(), 0);
  await page.reload();
  await row.waitFor();
  assert.equal(await page.locator("#new-api-key").count(), 0);
  assert.equal(await page.getByText(key).count(), 0);
  assert.equal((await page.content()).includes(key), false);

  await row.getByRole("button", { name: "Revoke ci server" }).click();
  await page.getByRole("button", { name: "Revoke “ci server” now" }).click();
  await page.getByText("No keys yet.").waitFor();
  const refused = await fetch(`${BASE_URL}/v1/ping`, {
    headers: { authorization: `Bearer ${key}` },
  });
  assert.equal(refused.status, 401);
  assertClean(guarded);
});

test("the email links land on the portal: confirm the address, reset the password", async (t) => {
  if (!process.env.E2E_WORKER_LOG) return t.skip("needs the dev server's log for the emails");
  const email = uniqueEmail("links");
  await signupViaApi(email);
  const guarded = await openPage(t);
  const { page } = guarded;

  const verify = await emailedLink(email, "/account/verify");
  assert.ok(verify);
  await page.goto(verify);
  await page.getByText("Your email address is confirmed.").waitFor();
  await expectAccessible(page, "the verify page");

  await page.goto("/account/forgot");
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Email me a link" }).click();
  await page.getByText(`If ${email} has an account`).waitFor();
  const reset = await emailedLink(email, "/account/reset");
  assert.ok(reset);
  await page.goto(reset);
  await page.getByLabel("New password", { exact: true }).fill("a brand new passphrase");
  await page.getByLabel("New password", { exact: true }).press("Enter");
  await page.getByText("Your password is changed").waitFor();

  await page.getByRole("link", { name: "Sign in with the new password" }).click();
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("a brand new passphrase");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Overview" }).waitFor();
  // Confirmed: no banner.
  await page.locator(".plan-name").waitFor();
  assert.equal(await page.getByText("Confirm your email address.").count(), 0);
  assertClean(guarded);
});

test("a subscriber sees the plan and payments, previews an upgrade, cancels and resumes", async (t) => {
  if (!process.env.E2E_PERSIST_DIR) return t.skip("needs the Worker's local D1");
  const email = uniqueEmail("subscriber");
  const userId = await signupViaApi(email);
  // What a completed checkout leaves: a Basic subscription ten days into its month, and its payment.
  const now = Date.now();
  const [start, end] = [now - 10 * 86_400_000, now + 20 * 86_400_000];
  d1(
    `INSERT INTO subscriptions (id, user_id, plan_id, interval, status, provider, current_period_start, current_period_end, created_at, updated_at) VALUES ('sub_e2e${now}', '${userId}', 'pln_basic', 'month', 'active', 'manual', ${start}, ${end}, ${start}, ${start});` +
      `INSERT INTO payments (id, user_id, subscription_id, provider, provider_payment_id, amount, currency, status, period_start, period_end, created_at, updated_at) VALUES ('pay_e2e${now}', '${userId}', 'sub_e2e${now}', 'manual', 'ext_e2e${now}', 900, 'usd', 'succeeded', ${start}, ${end}, ${start}, ${start});`,
  );
  const guarded = await openPage(t);
  const { page } = guarded;
  await page.goto("/account/");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByLabel("Password").press("Enter");
  await nav(page, "Plan and billing").click();
  const card = page.getByRole("region", { name: "Your subscription" });
  await card.getByText("Basic", { exact: true }).waitFor();
  await card.getByText(/^Current period: /).waitFor();
  await page
    .getByRole("row", { name: /\$9\.00/ })
    .getByText("succeeded")
    .waitFor();
  await expectAccessible(page, "the billing page of a subscriber");

  // The proration preview, as the server computes it: about two thirds of the month is left.
  await page.getByRole("button", { name: "Switch to Pro" }).click();
  await page.getByRole("button", { name: "See what changing to Pro costs" }).click();
  const headline = page.getByText(/^You move to Pro now and pay \$\d+\.\d\d today/);
  await headline.waitFor();
  const due = await page.getByRole("row", { name: /Due now/ }).textContent();
  const credit = await page.getByRole("row", { name: /Credit for the unused time/ }).textContent();
  assert.match(credit ?? "", /-\$[56]\.\d\d/);
  assert.match(due ?? "", /\$1[2-4]\.\d\d/);
  await page.getByRole("button", { name: "Confirm the change to Pro" }).waitFor();
  await expectAccessible(page, "the proration preview");

  await page.getByRole("button", { name: "Cancel subscription…" }).click();
  await page.getByLabel("Why are you leaving? (optional)").fill("testing");
  await page.getByRole("button", { name: "Cancel at the end of the period" }).click();
  await card.getByText(/^Canceled: it ends on/).waitFor();
  await page.getByRole("button", { name: "Resume subscription" }).click();
  await page.getByRole("button", { name: "Cancel subscription…" }).waitFor();
  assert.equal(await card.getByText(/^Canceled/).count(), 0);
  assertClean(guarded);
});

test("keyboard: a skip link first, visible focus, and Enter follows links", async (t) => {
  const guarded = await openPage(t);
  const { page } = guarded;
  await signUpInBrowser(page, uniqueEmail("keyboard"));
  await page.keyboard.press("Tab");
  const skip = page.getByRole("link", { name: "Skip to content" });
  assert.equal(await skip.evaluate((el) => el === document.activeElement), true);
  // The focused control is outlined.
  const outline = await skip.evaluate((el) => getComputedStyle(el).outlineStyle);
  assert.equal(outline, "solid");
  // Tab on to the navigation and open "Usage" with Enter.
  for (let i = 0; i < 20; i++) {
    const name = await page.evaluate(() => document.activeElement?.textContent ?? "");
    if (name === "Usage") break;
    await page.keyboard.press("Tab");
  }
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "Usage", exact: true }).waitFor();
  assertClean(guarded);
});

test("profile, settings and the data export", async (t) => {
  const guarded = await openPage(t);
  const { page } = guarded;
  await signUpInBrowser(page, uniqueEmail("profile"));
  await nav(page, "Profile").click();
  await page.getByLabel("Name").fill("Grace Hopper");
  await page.getByLabel("Time zone (IANA)").fill("Europe/Paris");
  await page.getByRole("button", { name: "Save profile" }).click();
  await page.getByText("Profile saved.").waitFor();
  assert.equal(await page.getByLabel("Name").inputValue(), "Grace Hopper");
  await expectAccessible(page, "the profile page");

  await nav(page, "Settings").click();
  await page.getByLabel("Items per page").fill("50");
  await page.getByLabel("Share anonymous usage analytics").check();
  await page.getByLabel("Items per page").press("Enter");
  await page.getByText("Settings saved.").waitFor();
  assert.equal(await page.getByLabel("Items per page").inputValue(), "50");
  assert.equal(await page.getByLabel("Share anonymous usage analytics").isChecked(), true);
  await expectAccessible(page, "the settings page");

  const [file] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Download my data" }).click(),
  ]);
  assert.equal(file.suggestedFilename(), "tollgate-export.json");
  const path = await file.path();
  const exported = JSON.parse(readFileSync(path, "utf8"));
  assert.equal(exported.user.name, "Grace Hopper");
  assert.equal(exported.settings.items_per_page, 50);
  assertClean(guarded);
});

test("deleting the account asks for the password and signs out", async (t) => {
  const guarded = await openPage(t);
  const { page, context } = guarded;
  const email = uniqueEmail("delete");
  await signUpInBrowser(page, email);
  await nav(page, "Settings").click();
  await page.getByLabel("Your password, to confirm").fill(PASSWORD);
  await page.getByRole("button", { name: "Delete my account" }).click();
  await page.getByText("Your account is deleted.").waitFor();
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  assert.equal((await context.cookies()).length, 0);
  const login = await fetch(`${BASE_URL}/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  assert.equal(login.status, 401);
  assertClean(guarded);
});

test("screenshot of the portal (E2E_SCREENSHOTS=1)", async (t) => {
  if (process.env.E2E_SCREENSHOTS !== "1") return t.skip("set E2E_SCREENSHOTS=1");
  const guarded = await openPage(t);
  const { page } = guarded;
  await signUpInBrowser(page, uniqueEmail("screenshot"));
  // Some traffic, so the meters and the chart show something.
  const token = await page.evaluate(async () => {
    const r = await fetch("/v1/auth/refresh", {
      method: "POST",
      headers: { "content-type": "application/json", "x-session-cookie": "1" },
      body: "{}",
    });
    return ((await r.json()) as { access_token: string }).access_token;
  });
  for (let i = 0; i < 13; i++) {
    await fetch(`${BASE_URL}/v1/ping`, { headers: { authorization: `Bearer ${token}` } });
  }
  await page.reload();
  await page
    .getByText(/^Resets /)
    .first()
    .waitFor();
  mkdirSync("docs/screenshots", { recursive: true });
  await page.screenshot({ path: "docs/screenshots/account.png", fullPage: true });
  assertClean(guarded);
});
