// What keeps notifications whole over time: the sweep re-queues deliveries whose message was
// lost and resumes stalled broadcasts; retention drops what is out of the list after 90 days;
// the export holds every notification and its deliveries; deleting the account deletes them.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { runJob } from "../src/cron/runner";
import { DAY, MINUTE } from "../src/lib/time";
import { notify } from "../src/notifications/notify";
import { STALE_AFTER } from "../src/notifications/sweep";
import { api, count, type HeldQueues, holdQueues, PASSWORD, signup, testContext } from "./helpers";
import { notifyAt } from "./notifications-helpers";

let held: HeldQueues;
beforeEach(() => {
  held = holdQueues();
});

const T0 = Date.UTC(2026, 10, 20, 12);

describe("notification-sweep", () => {
  it("re-queues deliveries still queued long after their last attempt, and only those", async () => {
    const user = await signup();
    await notify(testContext(T0), user.id, { type: "system", title: "old", body: "b" });
    await notify(testContext(T0 + STALE_AFTER), user.id, {
      type: "system",
      title: "new",
      body: "b",
    });
    const [old] = held.deliveries;
    held.deliveries.length = 0;
    const run = await runJob(env, "notification-sweep", "admin", T0 + STALE_AFTER + MINUTE);
    expect(run.status).toBe("ok");
    expect(run.counts).toMatchObject({ deliveries_requeued: 1 });
    expect(held.deliveries).toEqual([old]);
  });

  it("resumes a broadcast that stalled", async () => {
    await env.DB.prepare(
      `insert into notification_broadcasts (id, actor_id, audience, title, body, channels, recipients, status, created_at, updated_at)
       values ('brd_stalled', 'usr_admin', '{"all":true}', 't', 'b', '["in_app"]', 5, 'sending', ?, ?)`,
    )
      .bind(T0, T0)
      .run();
    const run = await runJob(env, "notification-sweep", "admin", T0 + STALE_AFTER + MINUTE);
    expect(run.counts).toMatchObject({ broadcasts_resumed: 1 });
    expect(held.broadcasts).toContain("brd_stalled");
  });
});

describe("retention", () => {
  it("deletes notifications out of the list after 90 days, with their deliveries", async () => {
    const user = await signup();
    const now = Date.now();
    const removedOld = (await notifyAt(user.id, now - 91 * DAY, {
      channels: ["in_app", "email"],
    })) as string;
    const removedNew = (await notifyAt(user.id, now - 89 * DAY)) as string;
    const listedOld = (await notifyAt(user.id, now - 400 * DAY)) as string;
    for (const id of [removedOld, removedNew]) {
      expect(
        (await api("DELETE", `/v1/notifications/${id}`, { token: user.accessToken })).status,
      ).toBe(204);
    }
    const run = await runJob(env, "retention", "admin", now);
    expect(run.status).toBe("ok");
    expect(run.counts.notifications_deleted).toBeGreaterThanOrEqual(1);
    const kept = await env.DB.prepare("select id from notifications where user_id = ? order by id")
      .bind(user.id)
      .all<{ id: string }>();
    expect(kept.results.map((r) => r.id).sort()).toEqual([removedNew, listedOld].sort());
    expect(
      await count(
        "select count(*) as n from notification_deliveries where notification_id = ?",
        removedOld,
      ),
    ).toBe(0);
  });
});

describe("the account's notifications", () => {
  it("are in the export with their deliveries, and go with the account", async () => {
    const user = await signup();
    const id = (await notify(testContext(), user.id, {
      type: "billing",
      title: "Payment failed",
      body: "b",
      data: { payment_id: "pay_1" },
    })) as string;
    const exported = await api<{ notifications: unknown[] }>("GET", "/v1/me/export", {
      token: user.accessToken,
    });
    expect(exported.status, exported.text).toBe(200);
    expect(exported.body.notifications).toEqual([
      {
        id,
        type: "billing",
        title: "Payment failed",
        body: "b",
        data: { payment_id: "pay_1" },
        read_at: null,
        created_at: expect.any(String),
        listed: true,
        deliveries: [
          {
            channel: "email",
            status: "queued",
            attempts: 0,
            last_error: null,
            created_at: expect.any(String),
            updated_at: expect.any(String),
          },
        ],
      },
    ]);
    const deleted = await api("DELETE", "/v1/me", {
      token: user.accessToken,
      body: { password: PASSWORD },
    });
    expect(deleted.status, deleted.text).toBe(204);
    expect(await count("select count(*) as n from notifications where user_id = ?", user.id)).toBe(
      0,
    );
    expect(
      await count("select count(*) as n from notification_deliveries where user_id = ?", user.id),
    ).toBe(0);
  });
});
