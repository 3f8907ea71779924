// Events and reminders as a client sees them: creating, reading, changing, deleting, the
// occurrences of a range, and the 400 that names each bad field.
import { describe, expect, it, vi } from "vitest";
import {
  at,
  createEvent,
  createReminder,
  DAILY_STANDUP,
  type EventBody,
  type ReminderBody,
} from "./events-helpers";
import { api, expectProblem, signup } from "./helpers";

const NOW = at("2032-03-01T12:00:00Z");

interface Occurrences {
  data: {
    event_id: string;
    title: string;
    starts_at: string;
    ends_at: string | null;
    recurring: boolean;
  }[];
  next_cursor: string | null;
}

describe("events", () => {
  it("creates an event and reads it back, with its next delivery planned", async () => {
    vi.setSystemTime(NOW);
    const user = await signup("events");
    const event = await createEvent(user);
    expect(event).toMatchObject({
      id: expect.stringMatching(/^cal_/),
      title: "Standup",
      category: "work",
      type: "reminder",
      starts_at: "2032-03-02T14:00:00.000Z",
      ends_at: "2032-03-02T14:15:00.000Z",
      all_day: false,
      timezone: "America/New_York",
      recurrence: { freq: "daily", interval: 1, count: null, until: null },
      remind_before_minutes: [10],
      channels: null,
      // 10 minutes before the first occurrence.
      next_due_at: "2032-03-02T13:50:00.000Z",
    });
    const read = await api<EventBody>("GET", `/v1/events/${event.id}`, { token: user.accessToken });
    expect(read.status).toBe(200);
    expect(read.body).toEqual(event);
  });

  it("lists occurrences in a range, expanded in the event's zone across the DST change", async () => {
    vi.setSystemTime(NOW);
    const user = await signup("events");
    const standup = await createEvent(user);
    const once = await createEvent(user, {
      title: "Dentist",
      category: "personal",
      starts_at: "2032-03-15T12:00:00Z",
      ends_at: undefined,
      recurrence: undefined,
    });
    const res = await api<Occurrences>(
      "GET",
      "/v1/events?from=2032-03-13T00:00:00Z&to=2032-03-16T00:00:00Z",
      { token: user.accessToken },
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body.data.map((o) => [o.title, o.starts_at, o.ends_at])).toEqual([
      // New York moves to summer time on 2032-03-14: 09:00 local is 13:00Z from then on.
      ["Standup", "2032-03-13T14:00:00.000Z", "2032-03-13T14:15:00.000Z"],
      ["Standup", "2032-03-14T13:00:00.000Z", "2032-03-14T13:15:00.000Z"],
      ["Dentist", "2032-03-15T12:00:00.000Z", null],
      ["Standup", "2032-03-15T13:00:00.000Z", "2032-03-15T13:15:00.000Z"],
    ]);
    expect(res.body.data.map((o) => o.event_id)).toEqual([
      standup.id,
      standup.id,
      once.id,
      standup.id,
    ]);
    expect(res.body.data.map((o) => o.recurring)).toEqual([true, true, false, true]);
    expect(res.body.next_cursor).toBeNull();
  });

  it("pages through a range with a cursor, each occurrence once", async () => {
    vi.setSystemTime(NOW);
    const user = await signup("events");
    await createEvent(user);
    // The same times: the two series tie at every start, and the event id breaks the tie.
    await createEvent(user, { title: "Gym" });
    const seen: { key: string; start: string; id: string }[] = [];
    let cursor: string | null = null;
    do {
      const query = `from=2032-03-01T00:00:00Z&to=2032-04-01T00:00:00Z&limit=7${cursor ? `&cursor=${cursor}` : ""}`;
      const res: { status: number; body: Occurrences } = await api<Occurrences>(
        "GET",
        `/v1/events?${query}`,
        { token: user.accessToken },
      );
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(7);
      for (const o of res.body.data) {
        seen.push({ key: `${o.title} ${o.starts_at}`, start: o.starts_at, id: o.event_id });
      }
      cursor = res.body.next_cursor;
    } while (cursor);
    // March 2..31: 30 days, two events a day, each once, in order of (start, event id).
    expect(seen).toHaveLength(60);
    expect(new Set(seen.map((o) => o.key)).size).toBe(60);
    const ordered = [...seen].sort(
      (a, b) => a.start.localeCompare(b.start) || a.id.localeCompare(b.id),
    );
    expect(seen).toEqual(ordered);
  });

  it("refuses a cursor whose position lies outside the range (400 naming the cursor, not a 500)", async () => {
    vi.setSystemTime(NOW);
    const user = await signup("events");
    await createEvent(user);
    const forged = btoa(`${Number.MAX_SAFE_INTEGER}.cal_x`).replaceAll("=", "");
    const res = await api(
      "GET",
      `/v1/events?from=2032-03-01T00:00:00Z&to=2032-04-01T00:00:00Z&cursor=${forged}`,
      { token: user.accessToken },
    );
    expectProblem(res, 400, "invalid_request");
    expect(JSON.stringify(res.body)).toContain("cursor");
  });

  it("changes an event, checking the result as a whole, and clears fields with null", async () => {
    vi.setSystemTime(NOW);
    const user = await signup("events");
    const event = await createEvent(user);
    const moved = await api<EventBody>("PATCH", `/v1/events/${event.id}`, {
      token: user.accessToken,
      body: { starts_at: "2032-03-03T10:00:00-05:00", ends_at: null, recurrence: null },
    });
    expect(moved.status, moved.text).toBe(200);
    expect(moved.body).toMatchObject({
      starts_at: "2032-03-03T15:00:00.000Z",
      ends_at: null,
      recurrence: null,
      next_due_at: "2032-03-03T14:50:00.000Z",
      title: "Standup",
    });
    // ends_at before the (unchanged) start: the merged event is refused, naming the field.
    const bad = await api("PATCH", `/v1/events/${event.id}`, {
      token: user.accessToken,
      body: { ends_at: "2032-03-03T09:00:00-05:00" },
    });
    expect(expectProblem(bad, 400, "invalid_request").errors).toEqual([
      { path: "ends_at", message: "must be after starts_at" },
    ]);
    // In Spanish too, the code and the field the same.
    const spanish = await api("PATCH", `/v1/events/${event.id}`, {
      token: user.accessToken,
      headers: { "accept-language": "es" },
      body: { ends_at: "2032-03-03T09:00:00-05:00" },
    });
    expect(expectProblem(spanish, 400, "invalid_request").errors).toEqual([
      { path: "ends_at", message: "debe ser posterior a starts_at" },
    ]);
    const unchanged = await api<EventBody>("PATCH", `/v1/events/${event.id}`, {
      token: user.accessToken,
      body: {},
    });
    expect(unchanged.status).toBe(200);
    expect(unchanged.body.starts_at).toBe("2032-03-03T15:00:00.000Z");
  });

  it("takes all-day events as dates in their zone", async () => {
    vi.setSystemTime(NOW);
    const user = await signup("events");
    const birthday = await createEvent(user, {
      title: "Ana's birthday",
      category: "birthday",
      starts_at: "2032-03-28",
      ends_at: undefined,
      all_day: true,
      timezone: "Europe/Madrid",
      recurrence: { freq: "yearly" },
      remind_before_minutes: [1440],
    });
    expect(birthday).toMatchObject({
      starts_at: "2032-03-27T23:00:00.000Z",
      ends_at: null,
      all_day: true,
    });
    expect(birthday.next_due_at).toBe("2032-03-26T23:00:00.000Z");
    const res = await api<Occurrences>(
      "GET",
      "/v1/events?from=2033-03-01T00:00:00Z&to=2033-04-01T00:00:00Z",
      {
        token: user.accessToken,
      },
    );
    // 2033-03-28 in Madrid is summer time (from the 27th): midnight is 22:00Z.
    expect(res.body.data.map((o) => [o.starts_at, o.ends_at])).toEqual([
      ["2033-03-27T22:00:00.000Z", "2033-03-28T22:00:00.000Z"],
    ]);
  });

  it("takes until as a date, through that local day, for timed events too", async () => {
    vi.setSystemTime(NOW);
    const user = await signup("events");
    const event = await createEvent(user, {
      recurrence: { freq: "weekly", until: "2032-03-16" },
    });
    // The last moment of the 16th in New York (EDT since the 14th).
    expect(event.recurrence?.until).toBe("2032-03-17T03:59:59.999Z");
    const res = await api<Occurrences>(
      "GET",
      "/v1/events?from=2032-03-01T00:00:00Z&to=2032-04-01T00:00:00Z",
      { token: user.accessToken },
    );
    expect(res.body.data.map((o) => o.starts_at)).toEqual([
      "2032-03-02T14:00:00.000Z",
      "2032-03-09T14:00:00.000Z",
      "2032-03-16T13:00:00.000Z",
    ]);
  });

  it("deletes an event", async () => {
    vi.setSystemTime(NOW);
    const user = await signup("events");
    const event = await createEvent(user);
    expect(
      (await api("DELETE", `/v1/events/${event.id}`, { token: user.accessToken })).status,
    ).toBe(204);
    expectProblem(
      await api("GET", `/v1/events/${event.id}`, { token: user.accessToken }),
      404,
      "not_found",
    );
    expectProblem(
      await api("DELETE", `/v1/events/${event.id}`, { token: user.accessToken }),
      404,
      "not_found",
    );
    const spanish = await api("GET", `/v1/events/${event.id}`, {
      token: user.accessToken,
      headers: { "accept-language": "es" },
    });
    expect(expectProblem(spanish, 404, "not_found").detail).toBe("No se encontró el evento");
  });

  it("answers 404 for another user's event, and changes nothing of it", async () => {
    vi.setSystemTime(NOW);
    const owner = await signup("owner");
    const other = await signup("other");
    const event = await createEvent(owner);
    for (const [method, body] of [["GET"], ["PATCH", { title: "Mine now" }], ["DELETE"]] as const) {
      expectProblem(
        await api(method, `/v1/events/${event.id}`, { token: other.accessToken, body }),
        404,
        "not_found",
      );
    }
    const listed = await api<Occurrences>(
      "GET",
      "/v1/events?from=2032-03-01T00:00:00Z&to=2032-03-05T00:00:00Z",
      {
        token: other.accessToken,
      },
    );
    expect(listed.body.data).toEqual([]);
    const read = await api<EventBody>("GET", `/v1/events/${event.id}`, {
      token: owner.accessToken,
    });
    expect(read.body).toEqual(event);
  });

  it.each([
    ["an unknown time zone", { timezone: "Mars/Olympus_Mons" }, "timezone"],
    ["ends_at before starts_at", { ends_at: "2032-03-02T08:00:00-05:00" }, "ends_at"],
    [
      "count and until both",
      { recurrence: { freq: "daily", count: 3, until: "2032-04-01T00:00:00Z" } },
      "recurrence.count",
    ],
    [
      "until before the start",
      { recurrence: { freq: "daily", until: "2032-02-01T00:00:00Z" } },
      "recurrence.until",
    ],
    [
      "a date alone for a timed event",
      { starts_at: "2032-03-02", ends_at: undefined },
      "starts_at",
    ],
    ["an unknown category", { category: "party" }, "category"],
    ["an unknown frequency", { recurrence: { freq: "hourly" } }, "recurrence.freq"],
    ["a zero interval", { recurrence: { freq: "daily", interval: 0 } }, "recurrence.interval"],
    ["a repeated reminder", { remind_before_minutes: [10, 10] }, "remind_before_minutes"],
    ["a negative reminder", { remind_before_minutes: [-5] }, "remind_before_minutes.0"],
    ["an unknown channel", { channels: ["pigeon"] }, "channels.0"],
    ["a start without an offset", { starts_at: "2032-03-02T09:00:00" }, "starts_at"],
    ["an unknown field", { colour: "red" }, ""],
  ])("refuses %s, naming the field", async (_label, change, path) => {
    vi.setSystemTime(NOW);
    const user = await signup("events");
    const res = await api("POST", "/v1/events", {
      token: user.accessToken,
      body: { ...DAILY_STANDUP, ...change },
    });
    const problem = expectProblem(res, 400, "invalid_request");
    expect(problem.errors?.map((e) => e.path)).toContain(path);
  });

  it("refuses a range that is missing, reversed or too long", async () => {
    const user = await signup("events");
    for (const [query, path] of [
      ["to=2032-03-02T00:00:00Z", "from"],
      ["from=2032-03-02T00:00:00Z&to=2032-03-01T00:00:00Z", "from"],
      ["from=2032-01-01T00:00:00Z&to=2033-01-03T00:00:00Z", "from"],
      ["from=2032-01-01T00:00:00Z&to=2032-01-02T00:00:00Z&cursor=bogus", "cursor"],
    ]) {
      const problem = expectProblem(
        await api("GET", `/v1/events?${query}`, { token: user.accessToken }),
        400,
        "invalid_request",
      );
      expect(
        problem.errors?.map((e) => e.path),
        query,
      ).toContain(path);
    }
  });
});

describe("reminders", () => {
  it("creates, lists by status and cancels reminders", async () => {
    vi.setSystemTime(NOW);
    const user = await signup("reminders");
    const first = await createReminder(user, {
      remind_at: "2032-03-01T13:00:00Z",
      body: "Ask about the fee",
    });
    const second = await createReminder(user, {
      remind_at: "2032-03-01T14:00:00Z",
      channels: ["in_app"],
    });
    expect(first).toMatchObject({
      id: expect.stringMatching(/^rem_/),
      title: "Call the bank",
      body: "Ask about the fee",
      remind_at: "2032-03-01T13:00:00.000Z",
      channels: null,
      status: "pending",
      sent_at: null,
    });
    expect(
      (await api("DELETE", `/v1/reminders/${first.id}`, { token: user.accessToken })).status,
    ).toBe(204);
    // Canceling again changes nothing.
    expect(
      (await api("DELETE", `/v1/reminders/${first.id}`, { token: user.accessToken })).status,
    ).toBe(204);
    const list = async (query: string) =>
      (
        await api<{ data: ReminderBody[] }>("GET", `/v1/reminders${query}`, {
          token: user.accessToken,
        })
      ).body.data.map((r) => [r.id, r.status]);
    expect(await list("")).toEqual([
      [second.id, "pending"],
      [first.id, "canceled"],
    ]);
    expect(await list("?status=pending")).toEqual([[second.id, "pending"]]);
    expect(await list("?status=canceled")).toEqual([[first.id, "canceled"]]);
    expect(await list("?status=sent")).toEqual([]);
  });

  it("pages through reminders with a cursor", async () => {
    vi.setSystemTime(NOW);
    const user = await signup("reminders");
    for (let i = 1; i <= 5; i++)
      await createReminder(user, { remind_at: `2032-03-0${i + 1}T09:00:00Z` });
    const first = await api<{ data: ReminderBody[]; next_cursor: string }>(
      "GET",
      "/v1/reminders?limit=3",
      {
        token: user.accessToken,
      },
    );
    expect(first.body.data.map((r) => r.remind_at.slice(0, 10))).toEqual([
      "2032-03-06",
      "2032-03-05",
      "2032-03-04",
    ]);
    const second = await api<{ data: ReminderBody[]; next_cursor: string | null }>(
      "GET",
      `/v1/reminders?limit=3&cursor=${first.body.next_cursor}`,
      { token: user.accessToken },
    );
    expect(second.body.data.map((r) => r.remind_at.slice(0, 10))).toEqual([
      "2032-03-03",
      "2032-03-02",
    ]);
    expect(second.body.next_cursor).toBeNull();
  });

  it("refuses a remind_at in the past or without an offset, naming it", async () => {
    vi.setSystemTime(NOW);
    const user = await signup("reminders");
    for (const remind_at of [
      "2032-03-01T11:59:59Z",
      "2032-03-01T12:00:00Z",
      "2032-03-01T13:00:00",
      "soon",
    ]) {
      const res = await api("POST", "/v1/reminders", {
        token: user.accessToken,
        body: { title: "x", remind_at },
      });
      expect(
        expectProblem(res, 400, "invalid_request").errors?.map((e) => e.path),
        remind_at,
      ).toEqual(["remind_at"]);
    }
    const untitled = await api("POST", "/v1/reminders", {
      token: user.accessToken,
      body: { title: "  ", remind_at: "2032-03-02T00:00:00Z" },
    });
    expect(expectProblem(untitled, 400, "invalid_request").errors?.map((e) => e.path)).toEqual([
      "title",
    ]);
  });

  it("answers 404 for another user's reminder", async () => {
    vi.setSystemTime(NOW);
    const owner = await signup("owner");
    const other = await signup("other");
    const reminder = await createReminder(owner, { remind_at: "2032-03-02T00:00:00Z" });
    expectProblem(
      await api("DELETE", `/v1/reminders/${reminder.id}`, { token: other.accessToken }),
      404,
      "not_found",
    );
    const mine = await api<{ data: ReminderBody[] }>("GET", "/v1/reminders", {
      token: owner.accessToken,
    });
    expect(mine.body.data.map((r) => [r.id, r.status])).toEqual([[reminder.id, "pending"]]);
    const theirs = await api<{ data: ReminderBody[] }>("GET", "/v1/reminders", {
      token: other.accessToken,
    });
    expect(theirs.body.data).toEqual([]);
  });
});
