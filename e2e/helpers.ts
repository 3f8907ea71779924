// What the browser tests share besides the browser: accounts made through the API, unique emails.
import { randomUUID } from "node:crypto";
import { BASE_URL } from "./browser.ts";

export const uniqueEmail = (who: string) => `${who}-${randomUUID().slice(0, 8)}@e2e.test`;
export const PASSWORD = "correct horse battery staple";

/** Signs up through the JSON API (as an API client would). */
export async function signupViaApi(email: string, password = PASSWORD): Promise<void> {
  const response = await fetch(`${BASE_URL}/v1/auth/signup`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  if (response.status !== 201) throw new Error(`signup failed: ${await response.text()}`);
}
