// An event's deliveries over time: its reminders before each occurrence and an action event's
// start, planned in the event's zone across a DST change; edits re-plan, deletes cancel.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { runJob } from "../src/cron/runner";
import { at, createEvent, notificationsOf, schedulerOf } from "./events-helpers";
import { api, signup } from "./helpers";

async function alarmOf(userId: string): Promise<number | null> {
  return runInDurableObject(schedulerOf(userId), (_object, state) => state.storage.getAlarm());
}

async function fireAt(userId: string, now: number): Promise<boolean> {
  vi.setSystemTime(now);
  return runDurableObjectAlarm(schedulerOf(userId));
}

async function channelsOf(notificationId: string | undefined): Promise<string[]> {
  const rows = await env.DB.prepare(
    "select channel from notification_deliveries where notification_id = ? order by channel",
  )
    .bind(notificationId)
    .all<{ channel: string }>();
  return rows.results.map((r) => r.channel);
}

describe("event deliveries", () => {
  it("remind before each occurrence and notify an action's start by email, at 09:00 local across the DST change", async () => {
    vi.setSystemTime(at("2032-03-13T12:00:00Z"));
    const user = await signup("standup");
    const event = await createEvent(user, {
      type: "action",
      starts_at: "2032-03-13T09:00:00-05:00",
      ends_at: "2032-03-13T09:15:00-05:00",
      channels: ["in_app"],
    });
    // 08:50 EST on the 13th.
    expect(event.next_due_at).toBe("2032-03-13T13:50:00.000Z");
    expect(await alarmOf(user.id)).toBe(at("2032-03-13T13:50:00Z"));

    await fireAt(user.id, at("2032-03-13T13:50:00Z") + 300);
    // The start, 10 minutes later.
    expect(await alarmOf(user.id)).toBe(at("2032-03-13T14:00:00Z"));
    await fireAt(user.id, at("2032-03-13T14:00:00Z") + 300);
    // New York moves to summer time on the 14th: 08:50 EDT is 12:50Z.
    expect(await alarmOf(user.id)).toBe(at("2032-03-14T12:50:00Z"));
    await fireAt(user.id, at("2032-03-14T12:50:00Z"));
    expect(await alarmOf(user.id)).toBe(at("2032-03-14T13:00:00Z"));

    const notifications = await notificationsOf(user.id);
    expect(notifications.map((n) => [n.type, n.title, n.dedupe_key])).toEqual([
      ["event", "Reminder: Standup", `event:${event.id}:${at("2032-03-13T14:00:00Z")}:10`],
      ["event", "Now: Standup", `event:${event.id}:${at("2032-03-13T14:00:00Z")}:0`],
      ["event", "Reminder: Standup", `event:${event.id}:${at("2032-03-14T13:00:00Z")}:10`],
    ]);
    expect(notifications[0]?.body).toBe("Standup starts Saturday, March 13, 2032 at 9:00 AM.");
    expect(JSON.parse(notifications[1]?.data ?? "{}")).toEqual({
      event_id: event.id,
      occurrence_at: "2032-03-13T14:00:00.000Z",
      minutes_before: 0,
    });
    // The reminders go where the event says (in-app only); the action's start also by email.
    expect(await channelsOf(notifications[0]?.id)).toEqual([]);
    expect(await channelsOf(notifications[1]?.id)).toEqual(["email"]);
    const stored = await env.DB.prepare("select next_due_at from events where id = ?")
      .bind(event.id)
      .first<{ next_due_at: number }>();
    expect(stored?.next_due_at).toBe(at("2032-03-14T13:00:00Z"));
  });

  it("stop when a series ends", async () => {
    vi.setSystemTime(at("2032-03-01T12:00:00Z"));
    const user = await signup("counted");
    await createEvent(user, { recurrence: { freq: "daily", count: 2 } });
    await fireAt(user.id, at("2032-03-02T13:50:00Z"));
    expect(await alarmOf(user.id)).toBe(at("2032-03-03T13:50:00Z"));
    await fireAt(user.id, at("2032-03-03T13:50:00Z"));
    expect(await alarmOf(user.id)).toBeNull();
    expect(await schedulerOf(user.id).pending()).toEqual([]);
    expect(await notificationsOf(user.id)).toHaveLength(2);
  });

  it("are re-planned by an edit: nothing at the old time, the reminder at the new one", async () => {
    vi.setSystemTime(at("2032-03-01T12:00:00Z"));
    const user = await signup("moved");
    const event = await createEvent(user);
    expect(await alarmOf(user.id)).toBe(at("2032-03-02T13:50:00Z"));
    const moved = await api<{ next_due_at: string }>("PATCH", `/v1/events/${event.id}`, {
      token: user.accessToken,
      body: {
        starts_at: "2032-03-02T11:00:00-05:00",
        ends_at: null,
        remind_before_minutes: [30],
      },
    });
    expect(moved.body.next_due_at).toBe("2032-03-02T15:30:00.000Z");
    expect(await schedulerOf(user.id).pending()).toEqual([
      { kind: "event", id: event.id, dueAt: at("2032-03-02T15:30:00Z") },
    ]);
    expect(await alarmOf(user.id)).toBe(at("2032-03-02T15:30:00Z"));
    // An alarm at the old time (a stale one) finds nothing due.
    await schedulerOf(user.id).plan(user.id, [
      { kind: "event", id: event.id, dueAt: at("2032-03-02T13:50:00Z") },
    ]);
    await fireAt(user.id, at("2032-03-02T13:50:00Z"));
    expect(await notificationsOf(user.id)).toEqual([]);
    expect(await alarmOf(user.id)).toBe(at("2032-03-02T15:30:00Z"));
    await fireAt(user.id, at("2032-03-02T15:30:00Z"));
    const [notification] = await notificationsOf(user.id);
    expect(notification?.dedupe_key).toBe(`event:${event.id}:${at("2032-03-02T16:00:00Z")}:30`);
  });

  it("an edit planned while a run awaits D1 is not overwritten by the run's older answer", async () => {
    vi.setSystemTime(at("2032-03-01T12:00:00Z"));
    const user = await signup("raced");
    const event = await createEvent(user);
    const edited = at("2032-03-02T15:30:00Z");
    vi.setSystemTime(at("2032-03-02T13:50:00Z"));
    await runInDurableObject(schedulerOf(user.id), async (scheduler) => {
      // The alarm's run picks the 13:50 reminder, delivers it and learns the next (tomorrow's)
      // from D1; the edit's push arrives just as the run turns to D1 (its context is made).
      let planning: Promise<void> | undefined;
      const inner = scheduler as unknown as { context: (now: number) => unknown };
      const context = inner.context.bind(scheduler);
      vi.spyOn(inner, "context").mockImplementation((now) => {
        planning ??= scheduler.plan(user.id, [{ kind: "event", id: event.id, dueAt: edited }]);
        return context(now);
      });
      await scheduler.alarm();
      await planning;
    });
    expect(await notificationsOf(user.id)).toHaveLength(1);
    expect(await schedulerOf(user.id).pending()).toEqual([
      { kind: "event", id: event.id, dueAt: edited },
    ]);
    expect(await alarmOf(user.id)).toBe(edited);
  });

  it("an edit keeps a delivery that came due but is not sent yet, and it is sent once", async () => {
    vi.setSystemTime(at("2032-03-02T13:45:00Z"));
    const user = await signup("pending");
    const event = await createEvent(user);
    // The 08:50 reminder (13:50Z) is due; its alarm has not run yet at 08:52.
    vi.setSystemTime(at("2032-03-02T13:52:00Z"));
    const renamed = await api<{ next_due_at: string }>("PATCH", `/v1/events/${event.id}`, {
      token: user.accessToken,
      body: { title: "Daily standup" },
    });
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.body.next_due_at).toBe("2032-03-02T13:50:00.000Z");
    expect(await alarmOf(user.id)).toBe(at("2032-03-02T13:50:00Z"));
    await fireAt(user.id, at("2032-03-02T13:52:01Z"));
    await fireAt(user.id, at("2032-03-02T13:52:02Z"));
    const notifications = await notificationsOf(user.id);
    expect(notifications.map((n) => [n.title, n.dedupe_key])).toEqual([
      ["Reminder: Daily standup", `event:${event.id}:${at("2032-03-02T14:00:00Z")}:10`],
    ]);
    expect(await alarmOf(user.id)).toBe(at("2032-03-03T13:50:00Z"));
  });

  it("are canceled by a delete, for the object and the sweep", async () => {
    vi.setSystemTime(at("2032-03-01T12:00:00Z"));
    const user = await signup("deleted");
    const event = await createEvent(user);
    const kept = await createEvent(user, {
      title: "Gym",
      starts_at: "2032-03-05T09:00:00-05:00",
      ends_at: undefined,
    });
    expect(
      (await api("DELETE", `/v1/events/${event.id}`, { token: user.accessToken })).status,
    ).toBe(204);
    expect(await schedulerOf(user.id).pending()).toEqual([
      { kind: "event", id: kept.id, dueAt: at("2032-03-05T13:50:00Z") },
    ]);
    expect(await alarmOf(user.id)).toBe(at("2032-03-05T13:50:00Z"));
    await runJob(env, "due-sweep", "admin", at("2032-03-04T00:00:00Z"));
    expect(await notificationsOf(user.id)).toEqual([]);
  });

  it("more than a day late (the object was unreachable) are let go; the next is planned", async () => {
    const created = at("2032-03-01T12:00:00Z");
    vi.setSystemTime(created);
    const user = await signup("late");
    const push = vi.spyOn(env.SCHEDULER, "get").mockImplementation(() => {
      throw new Error("object unreachable");
    });
    const event = await createEvent(user);
    push.mockRestore();
    // The sweep first runs three days later, at 14:00Z on the 4th: the reminders of the 2nd and
    // 3rd are over a day late; the 4th's (13:50Z) is ten minutes late and still goes.
    const sweepAt = at("2032-03-04T14:00:00Z");
    vi.setSystemTime(sweepAt);
    expect((await runJob(env, "due-sweep", "admin", sweepAt)).status).toBe("ok");
    expect((await notificationsOf(user.id)).map((n) => n.dedupe_key)).toEqual([
      `event:${event.id}:${at("2032-03-04T14:00:00Z")}:10`,
    ]);
    expect(await alarmOf(user.id)).toBe(at("2032-03-05T13:50:00Z"));
  });
});
