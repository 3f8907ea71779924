// The console's dashboard logic: the MRR chart's axis, levels and movements, the movement
// totals, and job health against each job's schedule.
import { describe, expect, it } from "vitest";
import { cronPeriodMs, healthCounts, jobHealth } from "../web/console/jobs";
import { axisOf, currenciesOf, movementTotals, mrrChange, mrrChart } from "../web/console/mrr";
import type { Job, MrrPoint, MrrSeries } from "../web/console/types";

const ZERO = {
  new_mrr: 0,
  expansion_mrr: 0,
  contraction_mrr: 0,
  churned_mrr: 0,
  reactivation_mrr: 0,
  net_new_mrr: 0,
  new_subscribers: 0,
  churned_subscribers: 0,
};

function point(date: string, mrr: number, movements: Partial<typeof ZERO> = {}): MrrPoint {
  const m = { ...ZERO, ...movements };
  m.net_new_mrr =
    m.new_mrr + m.expansion_mrr + m.reactivation_mrr - m.contraction_mrr - m.churned_mrr;
  return {
    date,
    mrr,
    arr: mrr * 12,
    paying_subscribers: 1,
    trials: 0,
    subscribers_by_plan: {},
    ...m,
  };
}

const sec = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 1000;

describe("axisOf", () => {
  it("has every day of the range, inclusive, at UTC midnight, across a month end", () => {
    const { keys, x } = axisOf("day", "2031-01-30", "2031-02-02");
    expect(keys).toEqual(["2031-01-30", "2031-01-31", "2031-02-01", "2031-02-02"]);
    expect(x).toEqual(keys.map(sec));
  });

  it("has every month of the range, across a year end, keyed YYYY-MM", () => {
    const { keys, x } = axisOf("month", "2030-11-15", "2031-02-01");
    expect(keys).toEqual(["2030-11", "2030-12", "2031-01", "2031-02"]);
    expect(x[0]).toBe(sec("2030-11-01"));
    expect(x[3]).toBe(sec("2031-02-01"));
  });

  it("is a single point when from and to are the same day", () => {
    expect(axisOf("day", "2031-03-01", "2031-03-01").keys).toEqual(["2031-03-01"]);
  });
});

describe("mrrChart", () => {
  const series: MrrSeries = {
    interval: "day",
    from: "2031-01-01",
    to: "2031-01-04",
    series: {
      usd: [
        point("2031-01-01", 1000, { new_mrr: 1000, new_subscribers: 1 }),
        // 2031-01-02: no snapshot
        point("2031-01-03", 1500, { expansion_mrr: 900, contraction_mrr: 100, churned_mrr: 300 }),
        point("2031-01-04", 1700, { reactivation_mrr: 200 }),
      ],
      eur: [point("2031-01-04", 9000)],
    },
  };

  it("places each point on the axis and leaves missing days empty, not zero", () => {
    const chart = mrrChart(series, "usd");
    expect(chart.x).toEqual(["2031-01-01", "2031-01-02", "2031-01-03", "2031-01-04"].map(sec));
    expect(chart.levels[0]?.values).toEqual([1000, null, 1500, 1700]);
  });

  it("draws gains above zero and losses below, and the net", () => {
    const [gained, lost, net] = mrrChart(series, "usd").movements;
    expect(gained?.values).toEqual([1000, null, 900, 200]);
    expect(gained?.bars).toBe(true);
    expect(lost?.values).toEqual([0, null, -400, 0]);
    expect(Object.is(lost?.values[0], 0)).toBe(true);
    expect(lost?.bars).toBe(true);
    expect(net?.values).toEqual([1000, null, 500, 200]);
  });

  it("answers an empty chart for a currency without points", () => {
    const chart = mrrChart(series, "gbp");
    expect(chart.levels[0]?.values).toEqual([null, null, null, null]);
  });

  it("orders currencies by their latest MRR", () => {
    expect(currenciesOf(series)).toEqual(["eur", "usd"]);
  });
});

describe("movementTotals and mrrChange", () => {
  const points = [
    point("2031-01-01", 1000, { new_mrr: 1000, new_subscribers: 2 }),
    point("2031-01-02", 1350, {
      expansion_mrr: 500,
      contraction_mrr: 50,
      churned_mrr: 300,
      reactivation_mrr: 200,
      new_subscribers: 1,
      churned_subscribers: 1,
    }),
  ];

  it("signs each movement by what it did to MRR, and the net is their sum", () => {
    const totals = movementTotals(points);
    expect(totals.rows.map((r) => [r.key, r.amount])).toEqual([
      ["new_mrr", 1000],
      ["expansion_mrr", 500],
      ["reactivation_mrr", 200],
      ["contraction_mrr", -50],
      ["churned_mrr", -300],
      ["net_new_mrr", 1350],
    ]);
    expect(totals.newSubscribers).toBe(3);
    expect(totals.churnedSubscribers).toBe(1);
  });

  it("measures the change from the first point to the last", () => {
    expect(mrrChange(points)).toMatchObject({ change: 350, percent: 35 });
    expect(mrrChange([point("2031-01-01", 0), point("2031-01-02", 10)])?.percent).toBeNull();
    expect(mrrChange([point("2031-01-01", 300), point("2031-01-02", 200)])?.percent).toBe(-33.3);
    expect(mrrChange([])).toBeNull();
  });
});

describe("job health", () => {
  const NOW = Date.parse("2031-01-10T12:00:00Z");
  const job = (crons: string[], run: Partial<NonNullable<Job["last_run"]>> | null): Job => ({
    name: "j",
    crons,
    last_run: run
      ? {
          id: "run_1",
          job: "j",
          trigger: "cron",
          run_at: "2031-01-10T11:50:00Z",
          started_at: "2031-01-10T11:50:00Z",
          duration_ms: 12,
          status: "ok",
          counts: {},
          error: null,
          ...run,
        }
      : null,
  });

  it("reads the periods of tollgate's schedules", () => {
    expect(cronPeriodMs("*/10 * * * *")).toBe(10 * 60_000);
    expect(cronPeriodMs("5 * * * *")).toBe(3_600_000);
    expect(cronPeriodMs("20 0 * * *")).toBe(86_400_000);
    expect(cronPeriodMs("0 3 * * 1")).toBe(7 * 86_400_000);
    expect(cronPeriodMs("0 3 1 * *")).toBe(31 * 86_400_000);
    expect(cronPeriodMs("* * * * *")).toBe(60_000);
    expect(cronPeriodMs("0 9-17 * * *")).toBeNull();
    expect(cronPeriodMs("nonsense")).toBeNull();
  });

  it("is ok, running, error, never run, or late past two periods", () => {
    expect(jobHealth(job(["*/10 * * * *"], {}), NOW)).toBe("ok");
    expect(jobHealth(job(["*/10 * * * *"], { status: "running" }), NOW)).toBe("running");
    expect(jobHealth(job(["*/10 * * * *"], { status: "error", error: "boom" }), NOW)).toBe("error");
    expect(jobHealth(job(["*/10 * * * *"], null), NOW)).toBe("never");
    // 20 minutes is two periods exactly: still ok; a minute more is late.
    expect(jobHealth(job(["*/10 * * * *"], { run_at: "2031-01-10T11:40:00Z" }), NOW)).toBe("ok");
    expect(jobHealth(job(["*/10 * * * *"], { run_at: "2031-01-10T11:39:00Z" }), NOW)).toBe("late");
    // The shortest of its crons counts: hourly and daily → late after two hours.
    expect(
      jobHealth(job(["5 * * * *", "20 0 * * *"], { run_at: "2031-01-10T09:59:00Z" }), NOW),
    ).toBe("late");
    // No understood schedule: never late.
    expect(jobHealth(job([], { run_at: "2030-01-01T00:00:00Z" }), NOW)).toBe("ok");
  });

  it("counts the jobs in each health", () => {
    expect(
      healthCounts([job(["*/10 * * * *"], {}), job([], null), job([], { status: "error" })], NOW),
    ).toEqual({ ok: 1, running: 0, error: 1, late: 0, never: 1 });
  });
});
