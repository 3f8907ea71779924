import assert from "node:assert/strict";
import { after, test } from "node:test";
import { assertClean, closeBrowser, openPage } from "./browser.ts";
import { PASSWORD, signupViaApi, uniqueEmail } from "./helpers.ts";

after(closeBrowser);

test("the refresh token is an httpOnly Secure cookie that survives a reload on localhost", async (t) => {
  const email = uniqueEmail("session");
  await signupViaApi(email);
  const guarded = await openPage(t);
  const { page, context } = guarded;
  await page.goto("/account/");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();

  const cookies = await context.cookies();
  const refresh = cookies.find((c) => c.name === "__Secure-tollgate_refresh");
  assert.ok(refresh, `no refresh cookie in ${JSON.stringify(cookies.map((c) => c.name))}`);
  assert.equal(refresh.httpOnly, true);
  assert.equal(refresh.secure, true);
  assert.equal(refresh.sameSite, "Strict");
  assert.equal(refresh.path, "/v1/auth");
  // Nothing the page can read holds a token: its one readable cookie says only "signed in".
  const stored = await page.evaluate(() => [
    document.cookie,
    JSON.stringify(localStorage),
    JSON.stringify(sessionStorage),
  ]);
  assert.deepEqual(stored, ["__Secure-tollgate_session=1", "{}", "{}"]);

  await page.reload();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByLabel("Password").waitFor();
  assert.equal(
    (await context.cookies()).some((c) => c.name.includes("refresh")),
    false,
  );
  await page.reload();
  await page.getByLabel("Password").waitFor();
  assertClean(guarded);
});
