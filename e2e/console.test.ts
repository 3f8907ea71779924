import assert from "node:assert/strict";
import { after, test } from "node:test";
import { accessibilityProblems } from "./a11y.ts";
import { assertClean, BASE_URL, closeBrowser, openPage } from "./browser.ts";
import { PASSWORD, signupViaApi, uniqueEmail } from "./helpers.ts";

after(closeBrowser);

test("the console's sign-in page loads under its CSP, accessibly", async (t) => {
  const guarded = await openPage(t);
  const { page } = guarded;
  const response = await page.goto("/console/");
  assert.equal(response?.status(), 200);
  assert.match(response?.headers()["content-security-policy"] ?? "", /default-src 'self'/);
  await page.getByRole("heading", { name: "Console sign-in" }).waitFor();
  assert.deepEqual(await accessibilityProblems(page), []);
  assertClean(guarded);
});

test("a client-side route of the console is served the app (SPA fallback)", async (t) => {
  const guarded = await openPage(t);
  const response = await guarded.page.goto("/console/users/usr_nobody");
  assert.equal(response?.status(), 200);
  assert.match(response?.headers()["content-security-policy"] ?? "", /default-src 'self'/);
  await guarded.page.getByLabel("Email").waitFor();
  const missing = await fetch(`${BASE_URL}/console/assets/app-MISSING.js`);
  assert.equal(missing.status, 404);
  assertClean(guarded);
});

test("a non-admin is refused with a clear message", async (t) => {
  const email = uniqueEmail("customer");
  await signupViaApi(email);
  const guarded = await openPage(t);
  const { page } = guarded;
  await page.goto("/console/");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByLabel("Password").press("Enter");
  const alert = page.getByRole("alert");
  await alert.waitFor();
  assert.match((await alert.textContent()) ?? "", /not an admin/);
  assert.equal(await page.getByRole("navigation", { name: "Main" }).count(), 0);
  assertClean(guarded);
});
