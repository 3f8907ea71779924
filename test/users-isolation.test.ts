// Isolation between users: a token sees and changes only its own user, no route outside
// /v1/admin takes another user's id (every parameterised route is swept with one), forged
// tokens fail, and admin routes refuse non-admins.
import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import { notify } from "../src/notifications/notify";
import { me as getMe, refresh } from "./auth-helpers";
import { createEvent, createReminder } from "./events-helpers";
import { insertPayment } from "./fixtures";
import { api, count, expectProblem, login, PASSWORD, signup, testContext } from "./helpers";
import { CUSTOM_SETTINGS, type Json, patchMe, putSettings, userRow } from "./users-helpers";

describe("isolation between users", () => {
  it("each token sees only its own user", async () => {
    const a = await signup("isoa");
    const b = await signup("isob");
    await patchMe(b.accessToken, { name: "Bee" });
    const ra = await getMe(a.accessToken);
    expect(ra.body).toMatchObject({ id: a.id, email: a.email, name: null });
    expect(ra.text).not.toContain(b.id);
    const rb = await getMe(b.accessToken);
    expect(rb.body).toMatchObject({ id: b.id, email: b.email, name: "Bee" });
  });

  it("a user's changes never touch another user's row", async () => {
    const a = await signup("isoa");
    const b = await signup("isob");
    const bBefore = await userRow(b.id);
    await patchMe(a.accessToken, { name: "A", locale: "es", timezone: "Europe/Rome" });
    await putSettings(a.accessToken, CUSTOM_SETTINGS);
    await api("POST", "/v1/me/password", {
      token: a.accessToken,
      body: { current_password: PASSWORD, new_password: "a different passphrase" },
    });
    expect(await userRow(b.id)).toEqual(bBefore);
    expect((await login(b.email)).status).toBe(200);
    expect((await refresh(b.refreshToken)).status).toBe(200);
  });

  it("has no route that takes another user's id outside /v1/admin", async () => {
    const a = await signup("isoa");
    const b = await signup("isob");
    for (const path of [
      `/v1/me/${b.id}`,
      `/v1/me/${b.id}/settings`,
      `/v1/me/${b.id}/export`,
      `/v1/users/${b.id}`,
      `/v1/users/${b.id}/settings`,
    ]) {
      const res = await api("GET", path, { token: a.accessToken });
      expectProblem(res, 404, "not_found");
      expect(res.text).not.toContain(b.email);
    }
    // A user id in the body or query is not a way in either.
    const patched = await patchMe(a.accessToken, { id: b.id, name: "Hijack" });
    expectProblem(patched, 400, "invalid_request");
    expect((await userRow(b.id)).name).toBeNull();
    const viaQuery = await api("GET", `/v1/me?user_id=${b.id}&id=${b.id}`, {
      token: a.accessToken,
    });
    expect(viaQuery.status).toBe(200);
    expect(viaQuery.body.id).toBe(a.id);
    const settingsViaQuery = await api<Json>("GET", `/v1/me/export?user_id=${b.id}`, {
      token: a.accessToken,
    });
    expect(settingsViaQuery.text).not.toContain(b.email);
  });

  it("no route outside /v1/admin accepts another user's id as a parameter", async () => {
    const a = await signup("isoa");
    const b = await signup("isob");
    // One thing of b's for each kind of id a route takes.
    const key = await api<{ id: string }>("POST", "/v1/me/api-keys", {
      token: b.accessToken,
      body: { name: "b's key" },
    });
    expect(key.status, key.text).toBe(201);
    const payment = await insertPayment(b.id);
    const device = await api<{ id: string }>("POST", "/v1/me/devices", {
      token: b.accessToken,
      body: { platform: "web", token: "b-device-token" },
    });
    expect(device.status, device.text).toBe(201);
    // One to mark read, one to remove (a removed one is gone for its owner too).
    const ofB = async () =>
      (await notify(testContext(), b.id, { type: "system", title: "b's", body: "b's" })) as string;
    const toMark = await ofB();
    const toRemove = await ofB();
    const event = await createEvent(b);
    const reminder = await createReminder(b, { remind_at: "2032-03-02T00:00:00Z" });
    const foreignIds: Record<string, string> = {
      "DELETE /v1/me/api-keys/:id": key.body.id,
      "DELETE /v1/me/devices/:id": device.body.id,
      "DELETE /v1/notifications/:id": toRemove,
      "PATCH /v1/notifications/:id": toMark,
      "GET /v1/payments/:id": payment.id,
      "GET /v1/events/:id": event.id,
      "PATCH /v1/events/:id": event.id,
      "DELETE /v1/events/:id": event.id,
      "DELETE /v1/reminders/:id": reminder.id,
    };
    // A valid body where a route needs one (so it gets as far as looking for the id).
    const bodies: Record<string, unknown> = {
      "PATCH /v1/notifications/:id": { read: true },
      "PATCH /v1/events/:id": { title: "Renamed" },
    };
    // Provider callbacks: the parameter names a provider, nothing of a user's.
    const notOwned = ["POST /v1/webhooks/:provider"];
    const bBefore = await userRow(b.id);
    const routes = [
      ...new Set(
        app.routes
          .filter((r) => r.method !== "ALL" && !r.path.includes("*") && r.path.includes(":"))
          .filter((r) => !r.path.startsWith("/v1/admin/"))
          .map((r) => `${r.method} ${r.path}`),
      ),
    ];
    // Every such route is swept: a new one must name the id of b's it is tried with.
    expect(routes.filter((r) => !notOwned.includes(r)).sort()).toEqual(
      Object.keys(foreignIds).sort(),
    );
    for (const route of routes) {
      const [method = "GET", pattern = ""] = route.split(" ");
      const path = pattern.replace(/:[A-Za-z_]+/g, foreignIds[route] ?? b.id);
      const body = bodies[route] ?? (method === "GET" || method === "DELETE" ? undefined : {});
      const res = await api(method, path, {
        token: a.accessToken,
        ...(body === undefined ? {} : { body }),
      });
      expect(res.status, `${route}: ${res.text}`).toBeGreaterThanOrEqual(400);
      expect(res.status, route).not.toBe(500);
      expect(res.text).not.toContain(b.email);
      if (notOwned.includes(route)) continue;
      // The route looked for the id and did not find it as a's: its own 404, not the router's.
      expectProblem(res, 404, "not_found");
      expect(res.text, route).toMatch(/ not found"/);
      expect(res.text, route).not.toContain("No route for");
      // The same request by the owner reaches the thing.
      const own = await api(method, path, {
        token: b.accessToken,
        ...(bodies[route] === undefined ? {} : { body: bodies[route] }),
      });
      expect(own.status, `${route} by its owner: ${own.text}`).toBeLessThan(300);
    }
    expect(await userRow(b.id)).toEqual(bBefore);
  });

  it("a token forged for another user is rejected", async () => {
    const a = await signup("isoa");
    const b = await signup("isob");
    const [header, , signature] = a.accessToken.split(".");
    const [, payloadB] = b.accessToken.split(".");
    expectProblem(await getMe(`${header}.${payloadB}.${signature}`), 401, "invalid_token");
  });

  it("admin routes answer 403 forbidden to a non-admin", async () => {
    const a = await signup("isoa");
    const b = await signup("isob");
    const routes: [string, string, unknown?][] = [
      ["GET", "/v1/admin/users"],
      ["GET", `/v1/admin/users/${b.id}`],
      ["PATCH", `/v1/admin/users/${b.id}`, { status: "disabled" }],
      ["PATCH", `/v1/admin/users/${a.id}`, { role: "admin" }],
      ["GET", "/v1/admin/audit"],
    ];
    for (const [method, path, body] of routes) {
      const res = await api(method, path, { token: a.accessToken, body });
      expectProblem(res, 403, "forbidden");
      expect(res.text).not.toContain(b.email);
    }
    expect((await userRow(b.id)).status).toBe("active");
    expect((await userRow(a.id)).role).toBe("user");
    expect(
      await count(
        "select count(*) as n from audit_log where actor_id = ? or target_id = ?",
        a.id,
        b.id,
      ),
    ).toBe(0);
  });
});
