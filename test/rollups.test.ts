import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { ROLLUP_DAYS_PER_RUN } from "../src/cron/rollups";
import { type JobRun, runJob } from "../src/cron/runner";

// A clock far from the wall clock, so the jobs must use the one they are given.
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const TODAY = Date.UTC(2031, 4, 20);
const T0 = TODAY + 12 * HOUR + 30 * MINUTE;

interface Hour {
  subject: string;
  hour: number;
  allowed: number;
  denied: number;
  updatedAt: number;
}

interface DailyRow {
  subject: string;
  day: number;
  allowed: number;
  denied: number;
}

interface TotalsRow {
  day: number;
  allowed: number;
  denied: number;
  active_subjects: number;
}

/** Hourly rows as the rate limiter's flush writes them (absolute values; a re-flush replaces). */
async function flush(hours: Hour[]): Promise<void> {
  const statements = hours.map((h) =>
    env.DB.prepare(
      `insert into usage_hourly (subject, hour, allowed, denied, updated_at) values (?, ?, ?, ?, ?)
       on conflict (subject, hour) do update set allowed = excluded.allowed,
         denied = excluded.denied, updated_at = excluded.updated_at`,
    ).bind(h.subject, h.hour, h.allowed, h.denied, h.updatedAt),
  );
  for (let i = 0; i < statements.length; i += 100) {
    await env.DB.batch(statements.slice(i, i + 100));
  }
}

async function daily(): Promise<DailyRow[]> {
  const { results } = await env.DB.prepare(
    "select subject, day, allowed, denied from usage_daily order by subject, day",
  ).all<DailyRow>();
  return results;
}

async function totals(): Promise<TotalsRow[]> {
  const { results } = await env.DB.prepare(
    "select day, allowed, denied, active_subjects from usage_daily_totals order by day",
  ).all<TotalsRow>();
  return results;
}

/** What the rollup must produce, computed the plain way from every hourly row. */
function expected(hours: Hour[]): { daily: DailyRow[]; totals: Map<number, TotalsRow> } {
  const latest = new Map<string, Hour>();
  for (const h of hours) latest.set(`${h.subject} ${h.hour}`, h);
  const perDay = new Map<string, DailyRow>();
  for (const h of latest.values()) {
    const day = Math.floor(h.hour / DAY) * DAY;
    const key = `${h.subject} ${day}`;
    const row = perDay.get(key) ?? { subject: h.subject, day, allowed: 0, denied: 0 };
    row.allowed += h.allowed;
    row.denied += h.denied;
    perDay.set(key, row);
  }
  const dailyRows = [...perDay.values()].sort((a, b) =>
    a.subject === b.subject ? a.day - b.day : a.subject < b.subject ? -1 : 1,
  );
  const totalsByDay = new Map<number, TotalsRow>();
  for (const row of dailyRows) {
    const t = totalsByDay.get(row.day) ?? {
      day: row.day,
      allowed: 0,
      denied: 0,
      active_subjects: 0,
    };
    t.allowed += row.allowed;
    t.denied += row.denied;
    if (row.allowed > 0) t.active_subjects++;
    totalsByDay.set(row.day, t);
  }
  return { daily: dailyRows, totals: totalsByDay };
}

/** Totals rows the rollup must have written: every day with usage, plus today and yesterday. */
function expectedTotals(hours: Hour[], now = T0): TotalsRow[] {
  const byDay = expected(hours).totals;
  const today = Math.floor(now / DAY) * DAY;
  for (const day of [today, today - DAY]) {
    if (!byDay.has(day)) byDay.set(day, { day, allowed: 0, denied: 0, active_subjects: 0 });
  }
  return [...byDay.values()].sort((a, b) => a.day - b.day);
}

async function rollup(now = T0): Promise<JobRun> {
  const run = await runJob(env, "usage-rollup", "admin", now);
  expect(run.error).toBeNull();
  expect(run.status).toBe("ok");
  return run;
}

/** A deterministic spread of counts: some hours large, some zero, some all denied. */
function count(seed: number, max: number): number {
  return (seed * 7919 + 104_729) % (max + 1);
}

/** Every hour of `days` for each subject, flushed an hour after it closed. */
function hoursOf(subjects: string[], days: number[]): Hour[] {
  const hours: Hour[] = [];
  subjects.forEach((subject, s) => {
    for (const day of days) {
      for (let h = 0; h < 24; h++) {
        const hour = day + h * HOUR;
        const seed = s * 1000 + h + day / DAY;
        hours.push({
          subject,
          hour,
          allowed: count(seed, 500),
          denied: count(seed + 3, 20),
          updatedAt: Math.min(hour + 2 * HOUR, T0 - MINUTE),
        });
      }
    }
  });
  return hours;
}

beforeEach(async () => {
  // Storage is shared by the tests of this file and the jobs work on whole tables.
  await env.DB.batch(
    [
      "usage_hourly",
      "usage_daily",
      "usage_daily_totals",
      "job_runs",
      "email_outbox",
      "webhook_events",
    ].map((table) => env.DB.prepare(`delete from ${table}`)),
  );
});

describe("usage rollup", () => {
  it("sums each subject's hours per UTC day and totals each day, exactly", async () => {
    const hours: Hour[] = [
      ...hoursOf(["user:usr_a", "user:usr_b"], [TODAY - 3 * DAY, TODAY - DAY]),
      // The last hour of one day and the first of the next belong to different days.
      {
        subject: "user:usr_c",
        hour: TODAY - DAY - HOUR,
        allowed: 5,
        denied: 1,
        updatedAt: T0 - DAY,
      },
      { subject: "user:usr_c", hour: TODAY - DAY, allowed: 7, denied: 0, updatedAt: T0 - DAY },
      // Today's closed hours.
      { subject: "user:usr_a", hour: TODAY, allowed: 11, denied: 2, updatedAt: T0 - HOUR },
      { subject: "user:usr_c", hour: TODAY + 11 * HOUR, allowed: 3, denied: 0, updatedAt: T0 },
      // Only denied calls all day: counted in the sums, not as an active subject.
      { subject: "user:usr_d", hour: TODAY - DAY + 5 * HOUR, allowed: 0, denied: 9, updatedAt: T0 },
      { subject: "user:usr_d", hour: TODAY - DAY + 6 * HOUR, allowed: 0, denied: 4, updatedAt: T0 },
    ];
    await flush(hours);

    const run = await rollup();

    const want = expected(hours);
    expect(await daily()).toStrictEqual(want.daily);
    expect(await totals()).toStrictEqual(expectedTotals(hours));
    // Spot checks of the plain sums, independent of the helper above.
    const c = (await daily()).filter((r) => r.subject === "user:usr_c");
    expect(c).toStrictEqual([
      { subject: "user:usr_c", day: TODAY - 2 * DAY, allowed: 5, denied: 1 },
      { subject: "user:usr_c", day: TODAY - DAY, allowed: 7, denied: 0 },
      { subject: "user:usr_c", day: TODAY, allowed: 3, denied: 0 },
    ]);
    const yesterday = (await totals()).find((t) => t.day === TODAY - DAY);
    // a, b, c allowed something yesterday; d only had denied calls.
    expect(yesterday?.active_subjects).toBe(3);
    expect((await totals()).find((t) => t.day === TODAY)).toMatchObject({
      allowed: 14,
      denied: 2,
      active_subjects: 2,
    });
    expect(run.counts).toMatchObject({ days: 4, backlog: 0 });
    expect(run.counts.usage_daily_written).toBe(want.daily.length);
  });

  it("writes zero totals for today and yesterday when nothing was used", async () => {
    const run = await rollup();
    expect(await daily()).toStrictEqual([]);
    expect(await totals()).toStrictEqual([
      { day: TODAY - DAY, allowed: 0, denied: 0, active_subjects: 0 },
      { day: TODAY, allowed: 0, denied: 0, active_subjects: 0 },
    ]);
    expect(run.counts).toMatchObject({ days: 0, usage_daily_written: 0, totals_written: 2 });
  });

  it("running twice is running once: same rows, untouched, nothing written", async () => {
    await flush(
      hoursOf(["user:usr_a", "user:usr_b", "user:usr_c"], [TODAY - 4 * DAY, TODAY - DAY]),
    );
    await rollup();
    const snapshot = async () => ({
      daily: (await env.DB.prepare("select * from usage_daily order by subject, day").all())
        .results,
      totals: (await env.DB.prepare("select * from usage_daily_totals order by day").all()).results,
    });
    const first = await snapshot();

    const again = await rollup(T0 + 10 * MINUTE);
    expect(await snapshot()).toStrictEqual(first);
    expect(again.counts).toMatchObject({ usage_daily_written: 0, totals_written: 0 });

    // History left by an earlier version (nothing marked rolled, no cursor) is rebuilt day by day
    // from all of its hours, and comes out the same.
    await env.DB.batch([
      env.DB.prepare("update usage_hourly set rolled_allowed = null, rolled_denied = null"),
      env.DB.prepare("delete from job_runs"),
    ]);
    const fresh = await rollup(T0 + 20 * MINUTE);
    expect(fresh.counts).toMatchObject({ days: 2, usage_daily_written: 0, hours_rolled: 144 });
    expect(await snapshot()).toStrictEqual(first);
  });

  it("a late-flushed hour updates its day, however old, and only its day", async () => {
    const hours = hoursOf(["user:usr_a", "user:usr_b"], [TODAY - 10 * DAY, TODAY - 6 * DAY]);
    await flush(hours);
    await rollup();
    const before = await daily();

    // Later: one object flushes an hour of 6 days ago again with more calls (it had more in its
    // window than it flushed the first time), and a subject seen for the first time on that day.
    const later = T0 + 2 * HOUR;
    const late: Hour[] = [
      {
        ...(hours[24 + 5] as Hour),
        allowed: (hours[24 + 5] as Hour).allowed + 40,
        updatedAt: later,
      },
      {
        subject: "user:usr_new",
        hour: TODAY - 6 * DAY + 3 * HOUR,
        allowed: 2,
        denied: 1,
        updatedAt: later,
      },
    ];
    expect(late[0]?.hour).toBe(TODAY - 6 * DAY + 5 * HOUR);
    await flush(late);

    const run = await rollup(later + MINUTE);
    const all = [...hours, ...late];
    expect(await daily()).toStrictEqual(expected(all).daily);
    expect(await totals()).toStrictEqual(expectedTotals(all, later + MINUTE));
    // Only that day's rows changed: the sixth-day row of usr_a and the new subject.
    const after = await daily();
    const changed = after.filter(
      (row) => !before.some((b) => JSON.stringify(b) === JSON.stringify(row)),
    );
    expect(changed.map((r) => [r.subject, r.day])).toStrictEqual([
      ["user:usr_a", TODAY - 6 * DAY],
      ["user:usr_new", TODAY - 6 * DAY],
    ]);
    expect(run.counts).toMatchObject({ days: 1, usage_daily_written: 2, hours_rolled: 2 });
    const sixth = (await totals()).find((t) => t.day === TODAY - 6 * DAY);
    expect(sixth?.active_subjects).toBe(3);
  });

  it("a flush stamped just before the cursor (committed late) is still rolled up", async () => {
    await flush([
      { subject: "user:usr_a", hour: TODAY - 9 * DAY, allowed: 1, denied: 0, updatedAt: T0 },
    ]);
    await rollup();
    // Stamped a minute before the newest row the last run saw, but committed after that run.
    const straggler: Hour = {
      subject: "user:usr_b",
      hour: TODAY - 8 * DAY,
      allowed: 4,
      denied: 2,
      updatedAt: T0 - MINUTE,
    };
    await flush([straggler]);
    await rollup(T0 + HOUR);
    expect(await daily()).toContainEqual({
      subject: "user:usr_b",
      day: TODAY - 8 * DAY,
      allowed: 4,
      denied: 2,
    });
  });

  it("works through a long backlog a bounded number of days per run, missing nothing", async () => {
    // 20 days of history, first run: today and yesterday plus at most ROLLUP_DAYS_PER_RUN others.
    const days = Array.from({ length: 20 }, (_, i) => TODAY - i * DAY);
    const hours = hoursOf(["user:usr_a", "user:usr_b"], days);
    await flush(hours);

    const first = await rollup();
    expect(first.counts).toMatchObject({ days: ROLLUP_DAYS_PER_RUN, backlog: 1 });
    expect(new Set((await daily()).map((r) => r.day)).size).toBe(ROLLUP_DAYS_PER_RUN);

    // Meanwhile a day the first run already did gets a late hour: a later run must take it.
    const late: Hour = {
      subject: "user:usr_c",
      hour: days[19] as number,
      allowed: 9,
      denied: 0,
      updatedAt: T0 + 30 * MINUTE,
    };
    await flush([late]);

    const runs: JobRun[] = [];
    for (let i = 1; i <= 5; i++) runs.push(await rollup(T0 + i * HOUR));
    // Oldest changed hours first, ROLLUP_DAYS_PER_RUN days of them a run: the late hour's day
    // (alone: the others of its range are done), then 7 days, then the last 6; then nothing.
    expect(runs.map((r) => r.counts.backlog)).toStrictEqual([1, 1, 0, 0, 0]);
    expect(runs.map((r) => r.counts.days)).toStrictEqual([1, 7, 6, 0, 0]);
    expect(runs.map((r) => r.counts.usage_daily_written)).toStrictEqual([1, 14, 12, 0, 0]);
    const all = [...hours, late];
    expect(await daily()).toStrictEqual(expected(all).daily);
    expect(await totals()).toStrictEqual(expectedTotals(all, T0 + 5 * HOUR));
  });

  it("reads only what changed: nothing new reads a handful of rows; a closed hour, its own", async () => {
    const subjects = Array.from({ length: 60 }, (_, i) => `user:usr_${String(i).padStart(3, "0")}`);
    const history = hoursOf(subjects, [TODAY - 2 * DAY, TODAY - DAY]);
    await flush(history);
    await rollup(); // takes the history over (rebuild)
    await rollup(T0 + MINUTE); // incremental from here on

    const idle = await rollup(T0 + 2 * MINUTE);
    expect(idle.counts).toMatchObject({ days: 0, usage_daily_written: 0, hours_rolled: 0 });
    expect(idle.d1Usage?.unmetered).toBe(0);
    expect(idle.d1Usage?.rows_read).toBeLessThanOrEqual(10);

    // An hour closes for every subject: the run reads a small multiple of those rows (each is
    // read by the three statements of its batch, with the day rows they update), never the
    // 2,880 rows of history.
    const closed = subjects.map((subject, i) => ({
      subject,
      hour: TODAY + 11 * HOUR,
      allowed: i + 1,
      denied: i % 2,
      updatedAt: T0,
    }));
    await flush(closed);
    const run = await rollup(T0 + 3 * MINUTE);
    expect(run.counts).toMatchObject({ days: 1, usage_daily_written: 60, hours_rolled: 60 });
    expect(run.d1Usage?.rows_read).toBeLessThanOrEqual(10 * closed.length);
    const all = [...history, ...closed];
    expect(await daily()).toStrictEqual(expected(all).daily);
    expect(await totals()).toStrictEqual(expectedTotals(all, T0 + 3 * MINUTE));
  });

  it("an hour flushed again with fewer calls (a correction) takes them back out", async () => {
    const hours = hoursOf(["user:usr_a", "user:usr_b"], [TODAY - DAY]);
    await flush(hours);
    await rollup();
    const corrected = hours.map((h) =>
      h.subject === "user:usr_b" ? { ...h, allowed: 0, denied: 0, updatedAt: T0 + HOUR } : h,
    );
    await flush(corrected.filter((h) => h.subject === "user:usr_b"));
    await rollup(T0 + 2 * HOUR);
    expect(await daily()).toStrictEqual(expected(corrected).daily);
    const yesterday = (await totals()).find((t) => t.day === TODAY - DAY);
    expect(yesterday?.active_subjects).toBe(1);
  });

  it("leaves days beyond the hourly retention window alone", async () => {
    await flush([
      { subject: "user:usr_a", hour: TODAY - 35 * DAY, allowed: 1, denied: 0, updatedAt: T0 },
      {
        subject: "user:usr_a",
        hour: TODAY - 35 * DAY - HOUR,
        allowed: 1,
        denied: 0,
        updatedAt: T0,
      },
    ]);
    await rollup();
    expect(await daily()).toStrictEqual([
      { subject: "user:usr_a", day: TODAY - 35 * DAY, allowed: 1, denied: 0 },
    ]);
  });
});

// ---- retention ---------------------------------------------------------------------------------

async function insertEmail(id: string, status: string, createdAt: number): Promise<void> {
  await env.DB.prepare(
    `insert into email_outbox (id, to_address, template, subject, text_body, status, created_at)
     values (?, 'a@example.test', 'verify_email', 's', 't', ?, ?)`,
  )
    .bind(id, status, createdAt)
    .run();
}

async function insertEvent(id: string, status: string, receivedAt: number): Promise<void> {
  await env.DB.prepare(
    `insert into webhook_events (id, provider, provider_event_id, type, occurred_at, payload,
       status, received_at)
     values (?, 'stripe', ?, 'invoice.paid', ?, '{}', ?, ?)`,
  )
    .bind(id, id, receivedAt, status, receivedAt)
    .run();
}

async function insertRun(id: string, job: string, status: string, at: number): Promise<void> {
  await env.DB.prepare(
    `insert into job_runs (id, job, trigger, run_at, started_at, status, cursor)
     values (?, ?, 'cron', ?, ?, ?, ?)`,
  )
    .bind(id, job, at, at, status, `cursor-of-${id}`)
    .run();
}

async function column(query: string): Promise<unknown[]> {
  return await env.DB.prepare(query).raw();
}

async function retention(now = T0): Promise<JobRun> {
  const run = await runJob(env, "retention", "admin", now);
  expect(run.error).toBeNull();
  expect(run.status).toBe("ok");
  return run;
}

describe("retention", () => {
  it("keeps each table's rows up to its boundary and deletes the older ones", async () => {
    await flush(
      [
        ["kept-35d", TODAY - 35 * DAY],
        ["kept-35d-last-hour", TODAY - 35 * DAY + 23 * HOUR],
        ["gone-35d-1h", TODAY - 35 * DAY - HOUR],
        ["gone-200d", TODAY - 200 * DAY],
        ["kept-today", TODAY],
      ].map(([subject, hour]) => ({
        subject: subject as string,
        hour: hour as number,
        allowed: 1,
        denied: 0,
        updatedAt: T0,
      })),
    );
    const dailyRow = (subject: string, day: number) =>
      env.DB.prepare(
        "insert into usage_daily (subject, day, allowed, denied, updated_at) values (?, ?, 1, 0, 0)",
      ).bind(subject, day);
    await env.DB.batch([
      dailyRow("kept-396d", TODAY - 396 * DAY),
      dailyRow("gone-397d", TODAY - 397 * DAY),
      dailyRow("gone-800d", TODAY - 800 * DAY),
      dailyRow("kept-36d", TODAY - 36 * DAY),
    ]);
    await insertEmail("eml_sent_kept_30d", "sent", T0 - 30 * DAY);
    await insertEmail("eml_sent_gone_30d", "sent", T0 - 30 * DAY - 1);
    await insertEmail("eml_failed_gone_31d", "failed", T0 - 31 * DAY);
    await insertEmail("eml_failed_kept_29d", "failed", T0 - 29 * DAY);
    await insertEmail("eml_pending_kept_400d", "pending", T0 - 400 * DAY);
    await insertEvent("evt_processed_kept_90d", "processed", T0 - 90 * DAY);
    await insertEvent("evt_processed_gone_90d", "processed", T0 - 90 * DAY - 1);
    await insertEvent("evt_ignored_gone_91d", "ignored", T0 - 91 * DAY);
    await insertEvent("evt_failed_kept_500d", "failed", T0 - 500 * DAY);
    await insertEvent("evt_pending_kept_500d", "pending", T0 - 500 * DAY);
    await insertEvent("evt_processed_kept_10d", "processed", T0 - 10 * DAY);
    await insertRun("run_x_gone_old_ok", "renewals", "ok", T0 - 100 * DAY);
    await insertRun("run_x_kept_latest_ok", "renewals", "ok", T0 - 95 * DAY);
    await insertRun("run_x_gone_error", "renewals", "error", T0 - 91 * DAY);
    await insertRun("run_x_kept_89d", "renewals", "error", T0 - 89 * DAY);
    await insertRun("run_x_kept_90d", "renewals", "error", T0 - 90 * DAY);
    await insertRun("run_y_kept_only_ok", "dunning", "ok", T0 - 300 * DAY);
    await insertRun("run_y_gone_running", "dunning", "running", T0 - 200 * DAY);

    const run = await retention();

    expect(await column("select subject from usage_hourly order by subject")).toStrictEqual([
      ["kept-35d"],
      ["kept-35d-last-hour"],
      ["kept-today"],
    ]);
    expect(await column("select subject from usage_daily order by subject")).toStrictEqual([
      ["kept-36d"],
      ["kept-396d"],
    ]);
    expect(await column("select id from email_outbox order by id")).toStrictEqual([
      ["eml_failed_kept_29d"],
      ["eml_pending_kept_400d"],
      ["eml_sent_kept_30d"],
    ]);
    expect(await column("select id from webhook_events order by id")).toStrictEqual([
      ["evt_failed_kept_500d"],
      ["evt_pending_kept_500d"],
      ["evt_processed_kept_10d"],
      ["evt_processed_kept_90d"],
    ]);
    expect(
      await column("select id from job_runs where job != 'retention' order by id"),
    ).toStrictEqual([
      ["run_x_kept_89d"],
      ["run_x_kept_90d"],
      ["run_x_kept_latest_ok"],
      ["run_y_kept_only_ok"],
    ]);
    expect(run.counts).toMatchObject({
      usage_hourly_deleted: 2,
      usage_daily_deleted: 2,
      emails_deleted: 2,
      webhook_events_deleted: 2,
      job_runs_deleted: 3,
      backlog: 0,
    });
  });

  it("the cursor a job resumes from survives: its latest successful run is kept", async () => {
    await insertRun("run_old_ok", "usage-rollup", "ok", T0 - 400 * DAY);
    await retention();
    // The rollup resumes from that run's cursor (an unreadable one: it starts over and works).
    const run = await runJob(env, "usage-rollup", "admin", T0);
    expect(run.status).toBe("ok");
    expect(await column("select id from job_runs where id = 'run_old_ok'")).toStrictEqual([
      ["run_old_ok"],
    ]);
  });

  it("deletes a bounded number of rows per run; the next runs go on", async () => {
    // 21,500 expired hours and 1,200 expired sent emails.
    await env.DB.prepare(
      `with recursive n(i) as (select 0 union all select i + 1 from n where i < 21499)
       insert into usage_hourly (subject, hour, allowed, denied, updated_at)
       select 'user:usr_' || (i % 100), ? - (i / 100 + 1) * 3600000, 1, 0, 0 from n`,
    )
      .bind(TODAY - 40 * DAY)
      .run();
    await env.DB.prepare(
      `with recursive n(i) as (select 0 union all select i + 1 from n where i < 1199)
       insert into email_outbox (id, to_address, template, subject, text_body, status, created_at)
       select 'eml_' || i, 'a@example.test', 't', 's', 'b', 'sent', ? from n`,
    )
      .bind(T0 - 60 * DAY)
      .run();
    await insertEmail("eml_pending", "pending", T0 - 60 * DAY);

    const first = await retention();
    expect(first.counts).toMatchObject({
      usage_hourly_deleted: 20_000,
      emails_deleted: 1200,
      backlog: 1,
    });
    expect(await column("select count(*) from usage_hourly")).toStrictEqual([[1500]]);
    const second = await retention(T0 + HOUR);
    expect(second.counts).toMatchObject({
      usage_hourly_deleted: 1500,
      emails_deleted: 0,
      backlog: 0,
    });
    expect(await column("select count(*) from usage_hourly")).toStrictEqual([[0]]);
    expect(await column("select id from email_outbox")).toStrictEqual([["eml_pending"]]);
  });
});
