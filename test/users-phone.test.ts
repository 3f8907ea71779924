// The phone number on the profile (PATCH /v1/me { phone }): E.164, validated, where SMS goes.
import { describe, expect, it } from "vitest";
import { api, count, expectProblem, signup } from "./helpers";
import { patchMe, userRow } from "./users-helpers";

describe("phone on the profile", () => {
  it("is null at first, set and cleared through PATCH /v1/me", async () => {
    const user = await signup();
    const me = await api("GET", "/v1/me", { token: user.accessToken });
    expect(me.body.phone).toBeNull();
    const set = await patchMe(user.accessToken, { phone: "+34600123456" });
    expect(set.status, set.text).toBe(200);
    expect(set.body.phone).toBe("+34600123456");
    expect((await api("GET", "/v1/me", { token: user.accessToken })).body.phone).toBe(
      "+34600123456",
    );
    const cleared = await patchMe(user.accessToken, { phone: null });
    expect(cleared.body.phone).toBeNull();
    expect(await userRow(user.id)).toMatchObject({
      phone: null,
    });
  });

  it.each(["0034600123456", "+34 600 123 456", "+0123456789", "+12", "+1234567890123456", "phone"])(
    "%s → 400 naming phone, nothing changed",
    async (phone) => {
      const user = await signup();
      await patchMe(user.accessToken, { phone: "+14155550123" });
      const problem = expectProblem(
        await patchMe(user.accessToken, { phone }),
        400,
        "invalid_request",
      );
      const error = problem.errors?.find((e) => e.path === "phone");
      expect(error, JSON.stringify(problem)).toBeDefined();
      expect(error?.message ?? "").toMatch(/E\.164/);
      expect((await userRow(user.id)).phone).toBe("+14155550123");
    },
  );

  it("a number that is not a string is a 400 naming phone", async () => {
    const user = await signup();
    const problem = expectProblem(
      await patchMe(user.accessToken, { phone: 34600123456 }),
      400,
      "invalid_request",
    );
    expect(problem.errors?.map((e) => e.path)).toEqual(["phone"]);
  });

  it("is in the export, and gone with the deleted account (devices too)", async () => {
    const user = await signup();
    await patchMe(user.accessToken, { phone: "+14155550123" });
    await api("POST", "/v1/me/devices", {
      token: user.accessToken,
      body: { platform: "android", token: "fcm-export-token" },
    });
    const exported = await api<{ user: { phone: string }; devices: { token: string }[] }>(
      "GET",
      "/v1/me/export",
      { token: user.accessToken },
    );
    expect(exported.status, exported.text).toBe(200);
    expect(exported.body.user.phone).toBe("+14155550123");
    expect(exported.body.devices.map((d) => d.token)).toEqual(["fcm-export-token"]);
    const deleted = await api("DELETE", "/v1/me", {
      token: user.accessToken,
      body: { password: user.password },
    });
    expect(deleted.status, deleted.text).toBe(204);
    const row = await userRow(user.id);
    expect(row.phone).toBeNull();
    expect(await count("select count(*) as n from devices where user_id = ?", user.id)).toBe(0);
  });
});
