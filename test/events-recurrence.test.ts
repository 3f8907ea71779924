// Recurrence expansion and time-zone arithmetic: pure functions, instants in and out.
import { describe, expect, it } from "vitest";
import {
  duePoints,
  nextDueAt,
  occurrencesBetween,
  type Recurrence,
  type Schedule,
  seriesEnd,
} from "../src/events/recurrence";
import { DAY, HOUR, MINUTE } from "../src/lib/time";
import { fromCivil, isTimeZone, offsetAt, toCivil } from "../src/lib/zones";

const at = (text: string) => Date.parse(text);
const isoList = (list: { startsAt: number }[]) =>
  list.map((o) => new Date(o.startsAt).toISOString());

function schedule(
  startsAt: string,
  timezone: string,
  recurrence: Partial<Recurrence> | null,
  more: Partial<Schedule> = {},
): Schedule {
  return {
    startsAt: at(startsAt),
    endsAt: null,
    allDay: false,
    timezone,
    recurrence: recurrence && {
      freq: "daily",
      interval: 1,
      count: null,
      until: null,
      ...recurrence,
    },
    ...more,
  };
}

describe("time zones", () => {
  it("knows IANA names and refuses others", () => {
    expect(isTimeZone("America/New_York")).toBe(true);
    expect(isTimeZone("UTC")).toBe(true);
    expect(isTimeZone("Mars/Olympus_Mons")).toBe(false);
    expect(isTimeZone("")).toBe(false);
  });

  it("reads offsets on both sides of a DST change", () => {
    expect(offsetAt(at("2026-01-15T12:00:00Z"), "America/New_York")).toBe(-5 * HOUR);
    expect(offsetAt(at("2026-07-15T12:00:00Z"), "America/New_York")).toBe(-4 * HOUR);
    expect(offsetAt(at("2026-07-15T12:00:00Z"), "Asia/Kolkata")).toBe(5.5 * HOUR);
  });

  it("maps wall-clock times to instants: a skipped time moves forward, a repeated one is the earlier", () => {
    const ny = "America/New_York";
    expect(fromCivil(Date.UTC(2026, 2, 7, 9), ny)).toBe(at("2026-03-07T14:00:00Z"));
    // 2026-03-08 02:30 does not exist in New York: 03:30 EDT.
    expect(fromCivil(Date.UTC(2026, 2, 8, 2, 30), ny)).toBe(at("2026-03-08T07:30:00Z"));
    // 2026-11-01 01:30 happens twice: the first (EDT).
    expect(fromCivil(Date.UTC(2026, 10, 1, 1, 30), ny)).toBe(at("2026-11-01T05:30:00Z"));
    expect(toCivil(at("2026-11-01T06:30:00Z"), ny)).toBe(Date.UTC(2026, 10, 1, 1, 30));
  });
});

describe("recurrence", () => {
  it("keeps a daily 09:00 New York event at 09:00 local across the March and November changes", () => {
    const daily = schedule("2026-03-06T09:00:00-05:00", "America/New_York", { freq: "daily" });
    expect(
      isoList(occurrencesBetween(daily, at("2026-03-06T00:00Z"), at("2026-03-10T00:00Z"))),
    ).toEqual([
      "2026-03-06T14:00:00.000Z",
      "2026-03-07T14:00:00.000Z",
      "2026-03-08T13:00:00.000Z",
      "2026-03-09T13:00:00.000Z",
    ]);
    expect(
      isoList(occurrencesBetween(daily, at("2026-10-31T00:00Z"), at("2026-11-03T00:00Z"))),
    ).toEqual(["2026-10-31T13:00:00.000Z", "2026-11-01T14:00:00.000Z", "2026-11-02T14:00:00.000Z"]);
  });

  it("moves an occurrence in the spring-forward gap to after it, and takes the first of a repeated hour", () => {
    const early = schedule("2026-03-07T02:30:00-05:00", "America/New_York", { freq: "daily" });
    expect(
      isoList(occurrencesBetween(early, at("2026-03-07T00:00Z"), at("2026-03-10T00:00Z"))),
    ).toEqual([
      "2026-03-07T07:30:00.000Z",
      "2026-03-08T07:30:00.000Z", // 03:30 EDT
      "2026-03-09T06:30:00.000Z",
    ]);
    const night = schedule("2026-10-31T01:30:00-04:00", "America/New_York", { freq: "daily" });
    expect(
      isoList(occurrencesBetween(night, at("2026-10-31T00:00Z"), at("2026-11-02T12:00Z"))),
    ).toEqual([
      "2026-10-31T05:30:00.000Z",
      "2026-11-01T05:30:00.000Z", // the first 01:30 (EDT)
      "2026-11-02T06:30:00.000Z",
    ]);
  });

  it("skips months without the day (monthly on the 31st), and counts only real occurrences", () => {
    const monthly = schedule("2026-01-31T10:00:00Z", "UTC", { freq: "monthly" });
    expect(
      isoList(occurrencesBetween(monthly, at("2026-01-01T00:00Z"), at("2027-01-01T00:00Z"))),
    ).toEqual([
      "2026-01-31T10:00:00.000Z",
      "2026-03-31T10:00:00.000Z",
      "2026-05-31T10:00:00.000Z",
      "2026-07-31T10:00:00.000Z",
      "2026-08-31T10:00:00.000Z",
      "2026-10-31T10:00:00.000Z",
      "2026-12-31T10:00:00.000Z",
    ]);
    const three = schedule("2026-01-31T10:00:00Z", "UTC", { freq: "monthly", count: 3 });
    expect(isoList(occurrencesBetween(three, 0, at("2030-01-01T00:00Z")))).toEqual([
      "2026-01-31T10:00:00.000Z",
      "2026-03-31T10:00:00.000Z",
      "2026-05-31T10:00:00.000Z",
    ]);
  });

  it("repeats a Feb 29 yearly event in leap years only", () => {
    const leap = schedule("2028-02-29T12:00:00+01:00", "Europe/Madrid", { freq: "yearly" });
    expect(
      isoList(occurrencesBetween(leap, at("2028-01-01T00:00Z"), at("2037-01-01T00:00Z"))),
    ).toEqual(["2028-02-29T11:00:00.000Z", "2032-02-29T11:00:00.000Z", "2036-02-29T11:00:00.000Z"]);
  });

  it("honours interval and an inclusive until", () => {
    const fortnightly = schedule("2026-01-05T08:00:00Z", "UTC", {
      freq: "weekly",
      interval: 2,
      until: at("2026-02-16T08:00:00Z"),
    });
    expect(isoList(occurrencesBetween(fortnightly, 0, at("2027-01-01T00:00Z")))).toEqual([
      "2026-01-05T08:00:00.000Z",
      "2026-01-19T08:00:00.000Z",
      "2026-02-02T08:00:00.000Z",
      "2026-02-16T08:00:00.000Z",
    ]);
  });

  it("keeps a timed event's length in real time across DST, and an all-day event's in days", () => {
    const meeting = schedule(
      "2026-03-27T10:00:00+01:00",
      "Europe/Madrid",
      { freq: "daily" },
      {
        endsAt: at("2026-03-27T11:30:00+01:00"),
      },
    );
    const found = occurrencesBetween(meeting, at("2026-03-27T00:00Z"), at("2026-03-31T00:00Z"));
    expect(found.map((o) => o.endsAt - o.startsAt)).toEqual(
      [90, 90, 90, 90].map((m) => m * MINUTE),
    );
    expect(isoList(found)[2]).toBe("2026-03-29T08:00:00.000Z"); // 10:00 CEST
    // Madrid moves to summer time on 2026-03-29: that day (from 23:00Z the 28th) lasts 23 hours.
    const allDay = schedule(
      "2026-03-27T00:00:00+01:00",
      "Europe/Madrid",
      { freq: "daily" },
      {
        allDay: true,
      },
    );
    const days = occurrencesBetween(allDay, at("2026-03-28T12:00Z"), at("2026-03-30T12:00Z"));
    expect(
      days.map((o) => [new Date(o.startsAt).toISOString(), (o.endsAt - o.startsAt) / HOUR]),
    ).toEqual([
      ["2026-03-27T23:00:00.000Z", 24],
      ["2026-03-28T23:00:00.000Z", 23],
      ["2026-03-29T22:00:00.000Z", 24],
    ]);
  });

  it("includes an occurrence still going on at the start of the range", () => {
    const weekLong = schedule(
      "2026-06-01T00:00:00Z",
      "UTC",
      { freq: "monthly" },
      {
        allDay: true,
        endsAt: at("2026-06-08T00:00:00Z"),
      },
    );
    expect(
      isoList(occurrencesBetween(weekLong, at("2026-06-05T00:00Z"), at("2026-06-06T00:00Z"))),
    ).toEqual(["2026-06-01T00:00:00.000Z"]);
  });

  it("finds occurrences decades after the start without walking every day, and respects count there", () => {
    const old = schedule("2000-01-01T09:00:00-05:00", "America/New_York", { freq: "daily" });
    expect(
      isoList(occurrencesBetween(old, at("2040-07-04T00:00Z"), at("2040-07-06T00:00Z"))),
    ).toEqual(["2040-07-04T13:00:00.000Z", "2040-07-05T13:00:00.000Z"]);
    const counted = schedule("2000-01-01T09:00:00Z", "UTC", { freq: "daily", count: 10 });
    expect(
      occurrencesBetween(counted, at("2000-01-10T00:00Z"), at("2000-02-01T00:00Z")),
    ).toHaveLength(1);
    expect(occurrencesBetween(counted, at("2000-01-11T00:00Z"), at("2040-01-01T00:00Z"))).toEqual(
      [],
    );
  });

  it("has exactly one occurrence without a recurrence", () => {
    const once = schedule("2026-05-05T10:00:00Z", "UTC", null);
    expect(isoList(occurrencesBetween(once, 0, at("2030-01-01T00:00Z")))).toEqual([
      "2026-05-05T10:00:00.000Z",
    ]);
    expect(occurrencesBetween(once, at("2026-05-05T10:00:01Z"), at("2030-01-01T00:00Z"))).toEqual(
      [],
    );
  });

  it("bounds when a series ends", () => {
    expect(seriesEnd(schedule("2026-01-01T00:00:00Z", "UTC", { freq: "daily" }))).toBeNull();
    const counted = seriesEnd(schedule("2026-01-01T00:00:00Z", "UTC", { freq: "daily", count: 3 }));
    expect(counted).toBeGreaterThanOrEqual(at("2026-01-03T00:00:00Z"));
    expect(counted).toBeLessThan(at("2026-01-06T00:00:00Z"));
  });
});

describe("due points", () => {
  const daily = schedule("2026-03-06T09:00:00-05:00", "America/New_York", { freq: "daily" });

  it("finds the next due time over every offset", () => {
    // Reminders 60 and 10 minutes before, plus the start (0).
    const offsets = [60, 10, 0];
    expect(nextDueAt(daily, offsets, at("2026-03-07T12:00:00Z"))).toBe(at("2026-03-07T13:00:00Z"));
    expect(nextDueAt(daily, offsets, at("2026-03-07T13:00:00Z"))).toBe(at("2026-03-07T13:50:00Z"));
    expect(nextDueAt(daily, offsets, at("2026-03-07T14:00:00Z"))).toBe(at("2026-03-08T12:00:00Z"));
    const once = schedule("2026-03-06T09:00:00Z", "UTC", null);
    expect(nextDueAt(once, [0], at("2026-03-06T09:00:00Z"))).toBeNull();
  });

  it("lists what is due in a window, earliest first, across occurrences", () => {
    const points = duePoints(
      daily,
      [0, 1440],
      at("2026-03-07T13:59:59Z"),
      at("2026-03-08T13:00:00Z"),
    );
    expect(points).toEqual([
      {
        occurrence: at("2026-03-07T14:00:00Z"),
        minutesBefore: 0,
        dueAt: at("2026-03-07T14:00:00Z"),
      },
      // The 8th's start and the 9th's day-before reminder fall at the same instant.
      {
        occurrence: at("2026-03-08T13:00:00Z"),
        minutesBefore: 0,
        dueAt: at("2026-03-08T13:00:00Z"),
      },
      {
        occurrence: at("2026-03-09T13:00:00Z"),
        minutesBefore: 1440,
        dueAt: at("2026-03-08T13:00:00Z"),
      },
    ]);
    expect(
      duePoints(daily, [1440], at("2026-03-07T00:00:00Z"), at("2026-03-07T13:00:00Z")),
    ).toEqual([
      {
        occurrence: at("2026-03-08T13:00:00Z"),
        minutesBefore: 1440,
        dueAt: at("2026-03-07T13:00:00Z"),
      },
    ]);
    expect(DAY).toBe(1440 * MINUTE);
  });
});
