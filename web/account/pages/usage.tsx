// Usage: a meter per window (minute, hour, day, month) with when it resets, and the last 30
// days of requests as a chart.
import { api } from "../../shared/api";
import { Chart } from "../../shared/chart";
import { formatDateTime, formatRelative } from "../../shared/format";
import { useLoad } from "../../shared/load";
import { UsageMeter } from "../../shared/meter";
import { ProblemAlert } from "../../shared/problem";
import { type Usage, WINDOWS, type WindowName } from "../../shared/types";

const WINDOW_LABEL: Record<WindowName, string> = {
  minute: "This minute",
  hour: "This hour",
  day: "Today (UTC)",
  month: "This billing month",
};

export const loadUsage = () => api<Usage>("GET", "/v1/me/usage");

export function UsageMeters({ usage, now }: { usage: Usage; now: number }) {
  return (
    <div>
      {WINDOWS.map((name) => {
        const w = usage.windows[name];
        return (
          <UsageMeter
            key={name}
            label={WINDOW_LABEL[name]}
            used={w.used}
            limit={w.limit}
            detail={`Resets ${formatRelative(w.reset_at, now)} (${formatDateTime(w.reset_at)})`}
          />
        );
      })}
    </div>
  );
}

/** The history as the chart's columns: x in epoch seconds (UTC midnights). */
export function historySeries(usage: Usage) {
  return {
    x: usage.history.map((day) => Date.parse(`${day.date}T00:00:00Z`) / 1000),
    series: [
      { label: "Allowed", values: usage.history.map((d) => d.allowed), bars: true },
      { label: "Refused", values: usage.history.map((d) => d.denied), bars: true },
    ],
  };
}

const count = (v: number) => new Intl.NumberFormat().format(v);

export function UsagePage() {
  const { data: usage, problem } = useLoad(loadUsage);
  const now = Date.now();
  const totals = usage?.history.reduce(
    (sum, d) => ({ allowed: sum.allowed + d.allowed, denied: sum.denied + d.denied }),
    { allowed: 0, denied: 0 },
  );
  return (
    <>
      <h1>Usage</h1>
      <ProblemAlert problem={problem} />
      {usage ? (
        <>
          <section class="card" aria-labelledby="windows-heading">
            <h2 id="windows-heading">Limits</h2>
            <p class="muted">
              Requests counted in each window of your plan{usage.plan ? ` (${usage.plan})` : ""}.
              Windows are fixed: each starts again at zero when it resets.
            </p>
            <UsageMeters usage={usage} now={now} />
          </section>
          <section class="card" aria-labelledby="history-heading">
            <h2 id="history-heading">Last 30 days</h2>
            <Chart
              title="Requests per day, last 30 days"
              {...historySeries(usage)}
              formatValue={count}
              summary={
                totals ? (
                  <p class="muted">
                    {count(totals.allowed)} requests allowed and {count(totals.denied)} refused over
                    30 days.
                  </p>
                ) : null
              }
            />
          </section>
        </>
      ) : null}
      {!usage && !problem ? <p class="loading">Loading…</p> : null}
    </>
  );
}
