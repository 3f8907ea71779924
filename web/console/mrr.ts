// The MRR chart's data from GET /v1/admin/analytics/mrr: one currency's levels and movements on
// a complete axis of days (or months), gaps left empty rather than drawn as zero. Pure.
import type { Movements, MrrPoint, MrrSeries } from "./types";

/** A chart series as the shared chart component draws it. */
export interface SeriesData {
  label: string;
  values: (number | null)[];
  color?: string;
  bars?: boolean;
}

export type MovementKey =
  | "new_mrr"
  | "expansion_mrr"
  | "reactivation_mrr"
  | "contraction_mrr"
  | "churned_mrr";

/** The five movements, gains first; `sign` is how each moves MRR. */
export const MOVEMENTS: readonly { key: MovementKey; label: string; sign: 1 | -1 }[] = [
  { key: "new_mrr", label: "New", sign: 1 },
  { key: "expansion_mrr", label: "Expansion", sign: 1 },
  { key: "reactivation_mrr", label: "Reactivation", sign: 1 },
  { key: "contraction_mrr", label: "Contraction", sign: -1 },
  { key: "churned_mrr", label: "Churn", sign: -1 },
];

// Graphical objects need 3:1 against the white page (WCAG 1.4.11); these are 4.5:1 or more.
export const MRR_COLOURS = {
  mrr: "#1d5fbf",
  gained: "#137a3a",
  lost: "#b3261e",
  net: "#4b5563",
} as const;

const DAY_MS = 86_400_000;

function parseDay(date: string): number {
  const [y, m, d] = date.split("-").map(Number);
  return Date.UTC(y ?? 1970, (m ?? 1) - 1, d ?? 1);
}

/**
 * Every day, or every month, of [from, to] (ISO dates), as the API keys its points ("YYYY-MM-DD"
 * or "YYYY-MM") and as the chart's x (epoch seconds at UTC midnight, the month's first day).
 */
export function axisOf(
  interval: "day" | "month",
  from: string,
  to: string,
): { keys: string[]; x: number[] } {
  const keys: string[] = [];
  const x: number[] = [];
  const end = parseDay(to);
  if (interval === "day") {
    for (let t = parseDay(from); t <= end; t += DAY_MS) {
      keys.push(new Date(t).toISOString().slice(0, 10));
      x.push(t / 1000);
    }
    return { keys, x };
  }
  const start = new Date(parseDay(from));
  for (let i = 0; ; i++) {
    const t = Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + i, 1);
    if (t > end) break;
    keys.push(new Date(t).toISOString().slice(0, 7));
    x.push(t / 1000);
  }
  return { keys, x };
}

/** The currencies of a series, the one with the most MRR at its last point first. */
export function currenciesOf(series: MrrSeries): string[] {
  const last = (c: string) => series.series[c]?.at(-1)?.mrr ?? 0;
  return Object.keys(series.series).sort((a, b) => last(b) - last(a) || a.localeCompare(b));
}

export interface MrrChartData {
  x: number[];
  /** MRR at each point (null: no snapshot that day or month). */
  levels: SeriesData[];
  /** Gained (new + expansion + reactivation) above zero, lost (contraction + churn) below, net. */
  movements: SeriesData[];
}

/** One currency's chart: its points on the complete axis of the answer's range. */
export function mrrChart(series: MrrSeries, currency: string): MrrChartData {
  const { keys, x } = axisOf(series.interval, series.from, series.to);
  const byKey = new Map((series.series[currency] ?? []).map((p) => [p.date, p]));
  const at = (f: (p: MrrPoint) => number) =>
    keys.map((k) => {
      const p = byKey.get(k);
      return p ? f(p) : null;
    });
  return {
    x,
    levels: [{ label: "MRR", values: at((p) => p.mrr), color: MRR_COLOURS.mrr }],
    movements: [
      {
        label: "Gained (new, expansion, reactivation)",
        values: at((p) => p.new_mrr + p.expansion_mrr + p.reactivation_mrr),
        color: MRR_COLOURS.gained,
        bars: true,
      },
      {
        label: "Lost (contraction, churn)",
        values: at((p) => 0 - (p.contraction_mrr + p.churned_mrr) || 0),
        color: MRR_COLOURS.lost,
        bars: true,
      },
      { label: "Net new MRR", values: at((p) => p.net_new_mrr), color: MRR_COLOURS.net },
    ],
  };
}

export interface MovementTotal {
  key: MovementKey | "net_new_mrr";
  label: string;
  /** Signed: what it did to MRR over the range. */
  amount: number;
}

/** Each movement summed over the points, signed, then the net; and the subscribers won and lost. */
export function movementTotals(points: readonly Movements[]): {
  rows: MovementTotal[];
  newSubscribers: number;
  churnedSubscribers: number;
} {
  const sum = (f: (m: Movements) => number) => points.reduce((acc, m) => acc + f(m), 0);
  const rows: MovementTotal[] = MOVEMENTS.map((m) => ({
    key: m.key,
    label: m.label,
    amount: m.sign * sum((p) => p[m.key]),
  }));
  rows.push({
    key: "net_new_mrr",
    label: "Net new MRR",
    amount: rows.reduce((acc, r) => acc + r.amount, 0),
  });
  return {
    rows,
    newSubscribers: sum((p) => p.new_subscribers),
    churnedSubscribers: sum((p) => p.churned_subscribers),
  };
}

/**
 * MRR at the first and last points and the change between them, in minor units; the percentage
 * to one decimal (null when it started at zero). Null without points.
 */
export function mrrChange(points: readonly MrrPoint[]): {
  first: MrrPoint;
  last: MrrPoint;
  change: number;
  percent: number | null;
} | null {
  const first = points[0];
  const last = points.at(-1);
  if (!first || !last) return null;
  const change = last.mrr - first.mrr;
  const percent = first.mrr === 0 ? null : Math.round((change * 1000) / first.mrr) / 10;
  return { first, last, change, percent };
}
