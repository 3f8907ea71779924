// POST /v1/admin/notifications: an admin's broadcast answers 202 with its recipients at once,
// is audit-logged, and is fanned out from the queue a page at a time, each user notified once
// however often a page's message comes.
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { BroadcastMessage } from "../src/env";
import worker from "../src/index";
import { BROADCAST_PAGE } from "../src/notifications/broadcast";
import { QUEUES } from "../src/queues";
import { insertSubscription, insertUser, setUserStatus } from "./fixtures";
import {
  api,
  count,
  expectProblem,
  type HeldQueues,
  holdQueues,
  signup,
  signupAdmin,
  type TestUser,
} from "./helpers";
import { listNotifications } from "./notifications-helpers";

let held: HeldQueues;
let admin: TestUser;
beforeEach(async () => {
  held = holdQueues();
  admin = await signupAdmin();
});

const broadcast = (body: unknown, token = admin.accessToken) =>
  api<{ id: string; recipients: number }>("POST", "/v1/admin/notifications", { token, body });

async function runPage(broadcastId: string) {
  const batch = createMessageBatch<BroadcastMessage>(QUEUES.notificationBroadcasts, [
    { id: "m", timestamp: new Date(), attempts: 1, body: { broadcast_id: broadcastId } },
  ]);
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  return getQueueResult(batch, ctx);
}

const notified = (broadcastId: string) =>
  count("select count(*) as n from notifications where dedupe_key = ?", `broadcast:${broadcastId}`);

describe("POST /v1/admin/notifications", () => {
  it("to named users: 202 with the active ones counted, audit-logged, delivered from the queue", async () => {
    const a = await signup("a");
    const b = await signup("b");
    const gone = await signup("gone");
    await setUserStatus(gone.id, "disabled");
    const res = await broadcast({
      user_ids: [a.id, b.id, gone.id, a.id],
      title: "Maintenance tonight",
      body: "The API is read-only from 22:00 to 22:30 UTC.",
      channels: ["in_app", "email"],
    });
    expect(res.status, res.text).toBe(202);
    expect(res.body).toEqual({ id: expect.stringMatching(/^brd_/), recipients: 2 });
    // Nothing per recipient in the request: one queued message.
    expect(await notified(res.body.id)).toBe(0);
    expect(held.broadcasts).toEqual([res.body.id]);
    expect(
      await count(
        "select count(*) as n from audit_log where action = 'notification.broadcast' and target_id = ? and actor_id = ?",
        res.body.id,
        admin.id,
      ),
    ).toBe(1);

    expect((await runPage(res.body.id)).explicitAcks).toEqual(["m"]);
    expect(await notified(res.body.id)).toBe(2);
    const [shown] = (await listNotifications(a.accessToken)).body.data;
    expect(shown).toMatchObject({
      type: "broadcast",
      title: "Maintenance tonight",
      data: { broadcast_id: res.body.id },
    });
    expect(held.deliveries.map((d) => d.channel)).toEqual(["email", "email"]);
    expect((await listNotifications(gone.accessToken)).status).not.toBe(200);

    // The same message again: nobody is notified twice.
    await runPage(res.body.id);
    expect(await notified(res.body.id)).toBe(2);
    expect(held.deliveries).toHaveLength(2);
  });

  it("pages through a large audience; a repeated page notifies no one twice and queues no extra page", async () => {
    const total = 2 * BROADCAST_PAGE + 7;
    for (let i = 0; i < total; i++) await insertSubscription((await insertUser()).id);
    const res = await broadcast({
      plan: "pro",
      title: "Pro news",
      body: "…",
      channels: ["in_app"],
    });
    expect(res.body.recipients).toBe(total);
    const id = res.body.id;

    await runPage(id);
    expect(await notified(id)).toBe(BROADCAST_PAGE);
    expect(held.broadcasts).toEqual([id, id]);
    await runPage(id); // page 2
    await runPage(id); // page 2's duplicate arrives late: page 3
    expect(await notified(id)).toBe(total);
    expect(held.broadcasts).toHaveLength(3);
    await runPage(id);
    expect(held.broadcasts).toHaveLength(3);
    expect(await notified(id)).toBe(total);
    const row = await env.DB.prepare(
      "select status, notified from notification_broadcasts where id = ?",
    )
      .bind(id)
      .first();
    expect(row).toEqual({ status: "done", notified: total });
  }, 30_000);

  it("by plan: its subscribers; the free plan: everyone without a paid plan", async () => {
    const pro = await insertUser();
    await insertSubscription(pro.id, { planId: "pln_basic" });
    const free = await insertUser();
    const canceled = await insertUser();
    await insertSubscription(canceled.id, { planId: "pln_basic", status: "canceled" });
    const basic = await broadcast({
      plan: "pln_basic",
      title: "t",
      body: "b",
      channels: ["in_app"],
    });
    expect(basic.body.recipients).toBe(1);
    await runPage(basic.body.id);
    expect(
      await count(
        "select count(*) as n from notifications where dedupe_key = ? and user_id = ?",
        `broadcast:${basic.body.id}`,
        pro.id,
      ),
    ).toBe(1);

    const everyoneFree = await broadcast({
      plan: "free",
      title: "t",
      body: "b",
      channels: ["in_app"],
    });
    await runPage(everyoneFree.body.id);
    const reached = await env.DB.prepare("select user_id from notifications where dedupe_key = ?")
      .bind(`broadcast:${everyoneFree.body.id}`)
      .all<{ user_id: string }>();
    const ids = reached.results.map((r) => r.user_id);
    expect(ids).toContain(free.id);
    expect(ids).toContain(canceled.id);
    expect(ids).not.toContain(pro.id);
    expect(everyoneFree.body.recipients).toBe(ids.length);
  });

  it("honours each user's preferences: a user who turned broadcasts off gets nothing", async () => {
    const user = await signup();
    const put = await api("PUT", "/v1/me/settings", {
      token: user.accessToken,
      body: { notification_types: { broadcast: false } },
    });
    expect(put.status, put.text).toBe(200);
    const res = await broadcast({
      user_ids: [user.id],
      title: "t",
      body: "b",
      channels: ["in_app", "email"],
    });
    await runPage(res.body.id);
    expect((await listNotifications(user.accessToken)).body.data).toEqual([]);
    expect(held.deliveries).toEqual([]);
  });

  it("non-admins get 403; bad input is a 400 naming the field; neither writes anything", async () => {
    const user = await signup();
    const before = await count("select count(*) as n from notification_broadcasts");
    expectProblem(
      await broadcast({ title: "t", body: "b", channels: ["in_app"] }, user.accessToken),
      403,
      "forbidden",
    );
    const cases: [unknown, string][] = [
      [{ user_ids: ["usr_a"], plan: "pro", title: "t", body: "b", channels: ["in_app"] }, "plan"],
      [{ plan: "platinum", title: "t", body: "b", channels: ["in_app"] }, "plan"],
      [{ title: "t", body: "b", channels: [] }, "channels"],
      [{ title: "t", body: "b", channels: ["fax"] }, "channels.0"],
      [{ title: "", body: "b", channels: ["in_app"] }, "title"],
      [{ user_ids: ["bob"], title: "t", body: "b", channels: ["in_app"] }, "user_ids.0"],
      [{ user_ids: [], title: "t", body: "b", channels: ["in_app"] }, "user_ids"],
    ];
    for (const [body, field] of cases) {
      const problem = expectProblem(await broadcast(body), 400, "invalid_request");
      expect(
        problem.errors?.map((e) => e.path),
        JSON.stringify(body),
      ).toContain(field);
    }
    expect(held.broadcasts).toEqual([]);
    expect(await count("select count(*) as n from notification_broadcasts")).toBe(before);
  });
});
