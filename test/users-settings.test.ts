// The caller's settings document, /v1/me/settings: defaults, whole-document PUT, validation,
// and one user's settings never touching another's.
import { describe, expect, it } from "vitest";
import { expectFieldErrors } from "./auth-helpers";
import { api, expectProblem, signup } from "./helpers";
import {
  CUSTOM_SETTINGS,
  DEFAULT_SETTINGS,
  getSettings,
  putSettings,
  userRow,
} from "./users-helpers";

describe("/v1/me/settings", () => {
  it("has every default right after signup, in the API and in D1", async () => {
    const user = await signup();
    const res = await getSettings(user.accessToken);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual(DEFAULT_SETTINGS);
    expect(JSON.parse((await userRow(user.id)).settings)).toEqual(DEFAULT_SETTINGS);
  });

  it("PUT replaces the whole document and GET shows it", async () => {
    const user = await signup();
    const res = await putSettings(user.accessToken, CUSTOM_SETTINGS);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual(CUSTOM_SETTINGS);
    expect((await getSettings(user.accessToken)).body).toEqual(CUSTOM_SETTINGS);
    expect(JSON.parse((await userRow(user.id)).settings)).toEqual(CUSTOM_SETTINGS);
  });

  it("PUT resets omitted keys to their defaults", async () => {
    const user = await signup();
    await putSettings(user.accessToken, CUSTOM_SETTINGS);
    const res = await putSettings(user.accessToken, { theme: "light" });
    expect(res.status, res.text).toBe(200);
    const expected = { ...DEFAULT_SETTINGS, theme: "light" };
    expect(res.body).toEqual(expected);
    expect((await getSettings(user.accessToken)).body).toEqual(expected);

    const reset = await putSettings(user.accessToken, {});
    expect(reset.status).toBe(200);
    expect((await getSettings(user.accessToken)).body).toEqual(DEFAULT_SETTINGS);
  });

  it("rejects unknown keys and wrong types with 400, leaving the stored settings unchanged", async () => {
    const user = await signup();
    await putSettings(user.accessToken, CUSTOM_SETTINGS);
    const cases: [unknown, string | null][] = [
      [{ ...CUSTOM_SETTINGS, favourite_colour: "green" }, null],
      [{ items_per_page: "ten" }, "items_per_page"],
      [{ theme: "blue" }, "theme"],
      [{ items_per_page: 4 }, "items_per_page"],
      [{ items_per_page: 201 }, "items_per_page"],
      [{ items_per_page: 25.5 }, "items_per_page"],
      [{ auto_refresh_seconds: -1 }, "auto_refresh_seconds"],
      [{ auto_refresh_seconds: 3601 }, "auto_refresh_seconds"],
      [{ email_notifications: "yes" }, "email_notifications"],
      [{ analytics_sharing: 1 }, "analytics_sharing"],
      [{ theme: null }, "theme"],
    ];
    for (const [body, path] of cases) {
      const problem = expectProblem(
        await putSettings(user.accessToken, body),
        400,
        "invalid_request",
      );
      if (path) expectFieldErrors(problem, [path]);
    }
    // Not a JSON object at all.
    expectProblem(await putSettings(user.accessToken, [1, 2]), 400, "invalid_request");
    expectProblem(await putSettings(user.accessToken, "dark"), 400, "invalid_request");

    expect((await getSettings(user.accessToken)).body).toEqual(CUSTOM_SETTINGS);
    expect(JSON.parse((await userRow(user.id)).settings)).toEqual(CUSTOM_SETTINGS);
  });

  it("accepts the boundary values", async () => {
    const user = await signup();
    const low = { ...DEFAULT_SETTINGS, items_per_page: 5, auto_refresh_seconds: 0 };
    expect((await putSettings(user.accessToken, low)).body).toEqual(low);
    const high = { ...DEFAULT_SETTINGS, items_per_page: 200, auto_refresh_seconds: 3600 };
    expect((await putSettings(user.accessToken, high)).body).toEqual(high);
  });

  it("one user's settings never change another's", async () => {
    const a = await signup("a");
    const b = await signup("b");
    await putSettings(a.accessToken, CUSTOM_SETTINGS);
    expect((await getSettings(b.accessToken)).body).toEqual(DEFAULT_SETTINGS);
    expect((await getSettings(a.accessToken)).body).toEqual(CUSTOM_SETTINGS);
  });

  it("requires a token", async () => {
    expectProblem(await api("GET", "/v1/me/settings"), 401, "unauthorized");
    expectProblem(
      await api("PUT", "/v1/me/settings", { body: DEFAULT_SETTINGS }),
      401,
      "unauthorized",
    );
  });
});
