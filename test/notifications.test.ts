// The in-app list through the API: cursor pages, the unread filter and count, read state,
// removing and clearing, and one user never reaching another's notifications.
import { describe, expect, it } from "vitest";
import { api, count, expectProblem, signup } from "./helpers";
import {
  listNotifications,
  type NotificationBody,
  notifyAt,
  unreadCount,
} from "./notifications-helpers";

const T0 = Date.UTC(2026, 10, 1, 12);

describe("GET /v1/notifications", () => {
  it("pages newest first with a cursor, without gaps or repeats", async () => {
    const user = await signup();
    const ids: string[] = [];
    // Two share a timestamp: the id breaks the tie.
    for (const at of [T0, T0 + 1000, T0 + 1000, T0 + 2000, T0 + 3000]) {
      ids.push((await notifyAt(user.id, at)) as string);
    }
    const seen: NotificationBody[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `?limit=2${cursor ? `&cursor=${cursor}` : ""}`;
      const res = await listNotifications(user.accessToken, query);
      expect(res.status, res.text).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.data);
      cursor = res.body.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(new Set(seen.map((n) => n.id))).toEqual(new Set(ids));
    const times = seen.map((n) => Date.parse(n.created_at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(seen[0]).toEqual({
      id: ids[4],
      type: "system",
      title: `title at ${T0 + 3000}`,
      body: "body",
      data: {},
      read_at: null,
      created_at: new Date(T0 + 3000).toISOString(),
    });
  });

  it("?unread=true lists only unread ones; the count follows read state", async () => {
    const user = await signup();
    const a = (await notifyAt(user.id, T0)) as string;
    const b = (await notifyAt(user.id, T0 + 1)) as string;
    await notifyAt(user.id, T0 + 2);
    expect(await unreadCount(user.accessToken)).toBe(3);

    const read = await api<NotificationBody>("PATCH", `/v1/notifications/${a}`, {
      token: user.accessToken,
      body: { read: true },
    });
    expect(read.status, read.text).toBe(200);
    expect(read.body.id).toBe(a);
    expect(read.body.read_at).not.toBeNull();
    expect(await unreadCount(user.accessToken)).toBe(2);

    const unread = await listNotifications(user.accessToken, "?unread=true");
    expect(unread.body.data.map((n) => n.id)).not.toContain(a);
    expect(unread.body.data).toHaveLength(2);
    expect((await listNotifications(user.accessToken)).body.data).toHaveLength(3);

    const again = await api<NotificationBody>("PATCH", `/v1/notifications/${a}`, {
      token: user.accessToken,
      body: { read: false },
    });
    expect(again.body.read_at).toBeNull();
    expect(await unreadCount(user.accessToken)).toBe(3);

    const all = await api("POST", "/v1/notifications/read-all", { token: user.accessToken });
    expect(all.status).toBe(204);
    expect(await unreadCount(user.accessToken)).toBe(0);
    expect((await listNotifications(user.accessToken, "?unread=true")).body.data).toEqual([]);
    expect((await listNotifications(user.accessToken, "?unread=false")).body.data).toHaveLength(3);
    expect(b).toMatch(/^ntf_/);
  });

  it("DELETE removes one; DELETE on the collection clears the list", async () => {
    const user = await signup();
    const a = (await notifyAt(user.id, T0)) as string;
    await notifyAt(user.id, T0 + 1);
    await notifyAt(user.id, T0 + 2);
    const del = await api("DELETE", `/v1/notifications/${a}`, { token: user.accessToken });
    expect(del.status, del.text).toBe(204);
    expect((await listNotifications(user.accessToken)).body.data.map((n) => n.id)).not.toContain(a);
    expectProblem(
      await api("DELETE", `/v1/notifications/${a}`, { token: user.accessToken }),
      404,
      "not_found",
    );
    const clear = await api("DELETE", "/v1/notifications", { token: user.accessToken });
    expect(clear.status).toBe(204);
    expect((await listNotifications(user.accessToken)).body).toEqual({
      data: [],
      next_cursor: null,
    });
    expect(await unreadCount(user.accessToken)).toBe(0);
  });

  it("a removed notification is not brought back by a repeated notify with its dedupe key", async () => {
    const user = await signup();
    const id = await notifyAt(user.id, T0, { dedupeKey: "usage:day:2026-11-01:80" });
    await api("DELETE", `/v1/notifications/${id}`, { token: user.accessToken });
    expect(await notifyAt(user.id, T0 + 1, { dedupeKey: "usage:day:2026-11-01:80" })).toBeNull();
    expect((await listNotifications(user.accessToken)).body.data).toEqual([]);
  });

  it("another user's notification is a 404 for every operation, and untouched", async () => {
    const owner = await signup("owner");
    const other = await signup("other");
    const id = (await notifyAt(owner.id, T0)) as string;
    const token = other.accessToken;
    expectProblem(
      await api("PATCH", `/v1/notifications/${id}`, { token, body: { read: true } }),
      404,
      "not_found",
    );
    expectProblem(await api("DELETE", `/v1/notifications/${id}`, { token }), 404, "not_found");
    const spanish = expectProblem(
      await api("DELETE", `/v1/notifications/${id}`, {
        token,
        headers: { "accept-language": "es" },
      }),
      404,
      "not_found",
    );
    expect(spanish.detail).toContain("la notificación");
    await api("POST", "/v1/notifications/read-all", { token });
    await api("DELETE", "/v1/notifications", { token });
    expect((await listNotifications(token)).body.data).toEqual([]);
    const mine = await listNotifications(owner.accessToken);
    expect(mine.body.data.map((n) => [n.id, n.read_at])).toEqual([[id, null]]);
  });

  it("bad input is a 400 naming the field; no token is a 401", async () => {
    const user = await signup();
    const token = user.accessToken;
    const id = (await notifyAt(user.id, T0)) as string;
    const cases: [Promise<Parameters<typeof expectProblem>[0]>, string][] = [
      [api("GET", "/v1/notifications?unread=yes", { token }), "unread"],
      [api("GET", "/v1/notifications?limit=0", { token }), "limit"],
      [api("GET", "/v1/notifications?cursor=nope", { token }), "cursor"],
      [api("PATCH", `/v1/notifications/${id}`, { token, body: { read: "yes" } }), "read"],
      [api("PATCH", `/v1/notifications/${id}`, { token, body: {} }), "read"],
      [api("PATCH", "/v1/notifications/usr_123", { token, body: { read: true } }), "id"],
    ];
    for (const [request, field] of cases) {
      const problem = expectProblem(await request, 400, "invalid_request");
      expect(problem.errors?.map((e) => e.path)).toContain(field);
    }
    expectProblem(await api("GET", "/v1/notifications"), 401, "unauthorized");
    expect(
      await count("select count(*) as n from notifications where id = ? and read_at is null", id),
    ).toBe(1);
  });
});
