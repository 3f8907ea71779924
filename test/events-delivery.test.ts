// Delivery when due, with the clock under the test's control: the user's Scheduler object's alarm
// (runDurableObjectAlarm), the sweep job, and what reaches the notifications — each once.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { runJob } from "../src/cron/runner";
import { MINUTE, SECOND } from "../src/lib/time";
import { at, createReminder, notificationsOf, schedulerOf } from "./events-helpers";
import { setUserStatus } from "./fixtures";
import { api, count, expectProblem, signup } from "./helpers";

const T0 = at("2032-03-01T12:00:00Z");

async function alarmOf(userId: string): Promise<number | null> {
  return runInDurableObject(schedulerOf(userId), (_object, state) => state.storage.getAlarm());
}

/** Runs the object's alarm at `now` (the alarm reads the clock the test set). */
async function fireAt(userId: string, now: number): Promise<boolean> {
  vi.setSystemTime(now);
  return runDurableObjectAlarm(schedulerOf(userId));
}

async function sweepAt(now: number) {
  const run = await runJob(env, "due-sweep", "admin", now);
  expect(run.status, run.error ?? "").toBe("ok");
}

async function reminderStatus(id: string) {
  const row = await env.DB.prepare("select status, sent_at from reminders where id = ?")
    .bind(id)
    .first<{ status: string; sent_at: number | null }>();
  return row;
}

describe("reminders when due", () => {
  it("are delivered at their time, not before, once, and marked sent", async () => {
    vi.setSystemTime(T0);
    const user = await signup("due");
    const due = T0 + MINUTE;
    const reminder = await createReminder(user, { remind_at: new Date(due).toISOString() });
    expect(await schedulerOf(user.id).pending()).toEqual([
      { kind: "reminder", id: reminder.id, dueAt: due },
    ]);
    expect(await alarmOf(user.id)).toBe(due);

    // An alarm run a second early delivers nothing and waits for the due time.
    expect(await fireAt(user.id, due - SECOND)).toBe(true);
    expect(await notificationsOf(user.id)).toEqual([]);
    expect(await alarmOf(user.id)).toBe(due);

    expect(await fireAt(user.id, due + 200)).toBe(true);
    const [notification, ...others] = await notificationsOf(user.id);
    expect(others).toEqual([]);
    expect(notification).toMatchObject({
      type: "reminder",
      title: "Reminder: Call the bank",
      dedupe_key: `reminder:${reminder.id}`,
      created_at: due + 200,
    });
    expect(JSON.parse(notification?.data ?? "{}")).toEqual({ reminder_id: reminder.id });
    // In-app (the row) and email (a queued delivery): the default channels.
    const channels = await env.DB.prepare(
      "select channel from notification_deliveries where notification_id = ?",
    )
      .bind(notification?.id)
      .all<{ channel: string }>();
    expect(channels.results.map((r) => r.channel)).toEqual(["email"]);
    expect(await reminderStatus(reminder.id)).toEqual({ status: "sent", sent_at: due + 200 });
    const delivery = await env.DB.prepare(
      "select due_at, delivered_at, notification_id from due_deliveries where source_id = ?",
    )
      .bind(reminder.id)
      .first();
    expect(delivery).toEqual({
      due_at: due,
      delivered_at: due + 200,
      notification_id: notification?.id,
    });
    // Nothing left: no alarm.
    expect(await schedulerOf(user.id).pending()).toEqual([]);
    expect(await alarmOf(user.id)).toBeNull();
    expect(await fireAt(user.id, due + MINUTE)).toBe(false);

    const sent = await api<{ data: { id: string; sent_at: string }[] }>(
      "GET",
      "/v1/reminders?status=sent",
      { token: user.accessToken },
    );
    expect(sent.body.data).toEqual([
      expect.objectContaining({ id: reminder.id, sent_at: new Date(due + 200).toISOString() }),
    ]);
    // A sent reminder cannot be canceled.
    const late = await api("DELETE", `/v1/reminders/${reminder.id}`, { token: user.accessToken });
    expectProblem(late, 409, "conflict");
  });

  it("are never delivered twice: a repeated alarm run, a lost 'sent', a repeated sweep", async () => {
    vi.setSystemTime(T0);
    const user = await signup("twice");
    const due = T0 + MINUTE;
    const reminder = await createReminder(user, { remind_at: new Date(due).toISOString() });
    expect(await fireAt(user.id, due)).toBe(true);
    expect(await notificationsOf(user.id)).toHaveLength(1);

    // The same item handed to the object again, and D1 as if "sent" had never been written.
    await env.DB.prepare("update reminders set status = 'pending', sent_at = null where id = ?")
      .bind(reminder.id)
      .run();
    await schedulerOf(user.id).plan(user.id, [{ kind: "reminder", id: reminder.id, dueAt: due }]);
    expect(await fireAt(user.id, due + SECOND)).toBe(true);
    expect(await notificationsOf(user.id)).toHaveLength(1);
    expect((await reminderStatus(reminder.id))?.status).toBe("sent");

    await sweepAt(due + 5 * MINUTE);
    await sweepAt(due + 5 * MINUTE);
    expect(await notificationsOf(user.id)).toHaveLength(1);
    expect(
      await count("select count(*) as n from due_deliveries where source_id = ?", reminder.id),
    ).toBe(1);
  });

  it("the sweep delivers what the object never heard of, once, even run twice at the same time", async () => {
    vi.setSystemTime(T0);
    const user = await signup("swept");
    const due = T0 + MINUTE;
    // The push to the object is lost: D1 has the reminder, the object does not.
    const push = vi.spyOn(env.SCHEDULER, "get").mockImplementation(() => {
      throw new Error("object unreachable");
    });
    const reminder = await createReminder(user, { remind_at: new Date(due).toISOString() });
    push.mockRestore();
    expect(await schedulerOf(user.id).pending()).toEqual([]);

    // Not yet late enough for the sweep.
    await sweepAt(due + 30 * SECOND);
    expect(await notificationsOf(user.id)).toEqual([]);
    await Promise.all([sweepAt(due + 2 * MINUTE), sweepAt(due + 2 * MINUTE)]);
    const notifications = await notificationsOf(user.id);
    expect(notifications.map((n) => n.dedupe_key)).toEqual([`reminder:${reminder.id}`]);
    expect((await reminderStatus(reminder.id))?.status).toBe("sent");
    await sweepAt(due + 12 * MINUTE);
    expect(await notificationsOf(user.id)).toHaveLength(1);
  });

  it("an alarm and a sweep at the same moment deliver once", async () => {
    vi.setSystemTime(T0);
    const user = await signup("race");
    const due = T0 + MINUTE;
    await createReminder(user, { remind_at: new Date(due).toISOString() });
    vi.setSystemTime(due + 2 * MINUTE);
    const [, swept] = await Promise.all([
      runDurableObjectAlarm(schedulerOf(user.id)),
      runJob(env, "due-sweep", "admin", due + 2 * MINUTE),
    ]);
    expect(swept.status).toBe("ok");
    expect(await notificationsOf(user.id)).toHaveLength(1);
  });

  it("a canceled reminder is never delivered, by the alarm or the sweep", async () => {
    vi.setSystemTime(T0);
    const user = await signup("canceled");
    const due = T0 + MINUTE;
    const reminder = await createReminder(user, { remind_at: new Date(due).toISOString() });
    expect(
      (await api("DELETE", `/v1/reminders/${reminder.id}`, { token: user.accessToken })).status,
    ).toBe(204);
    expect(await schedulerOf(user.id).pending()).toEqual([]);
    expect(await alarmOf(user.id)).toBeNull();
    await schedulerOf(user.id).plan(user.id, [{ kind: "reminder", id: reminder.id, dueAt: due }]);
    expect(await fireAt(user.id, due)).toBe(true);
    await sweepAt(due + 5 * MINUTE);
    expect(await notificationsOf(user.id)).toEqual([]);
    expect((await reminderStatus(reminder.id))?.status).toBe("canceled");
  });

  it("speak the user's language", async () => {
    vi.setSystemTime(T0);
    const user = await signup("es");
    await api("PATCH", "/v1/me", {
      token: user.accessToken,
      body: { locale: "es", timezone: "Europe/Madrid" },
    });
    const due = T0 + MINUTE;
    await createReminder(user, {
      title: "Llamar al banco",
      remind_at: new Date(due).toISOString(),
    });
    await fireAt(user.id, due);
    const [notification] = await notificationsOf(user.id);
    expect(notification?.title).toBe("Recordatorio: Llamar al banco");
    // 12:01Z is 13:01 in Madrid, written the Spanish way.
    expect(notification?.body).toBe("Programado para el lunes, 1 de marzo de 2032, 13:01.");
  });

  it("that come due while the account is disabled are canceled, not delivered", async () => {
    vi.setSystemTime(T0);
    const user = await signup("disabled");
    const due = T0 + MINUTE;
    const reminder = await createReminder(user, { remind_at: new Date(due).toISOString() });
    await setUserStatus(user.id, "disabled");
    await fireAt(user.id, due);
    expect(await notificationsOf(user.id)).toEqual([]);
    expect((await reminderStatus(reminder.id))?.status).toBe("canceled");
    await sweepAt(due + 5 * MINUTE);
    expect(await notificationsOf(user.id)).toEqual([]);
  });
});
