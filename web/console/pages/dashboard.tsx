// The dashboard: MRR over time with its movements, subscribers by plan, users and signups,
// the last week's failures and job health. Four requests: dashboard, summary, MRR, jobs.
import { useMemo, useState } from "preact/hooks";
import { Chart } from "../../shared/chart";
import { formatDateTime, formatMoney } from "../../shared/format";
import { useLoad } from "../../shared/load";
import { Link } from "../../shared/router";
import { admin } from "../admin-api";
import { humanize } from "../colours";
import { Loading, PlanTag, Stat, Tag } from "../components";
import { healthCounts, type JobHealth, jobHealth } from "../jobs";
import { currenciesOf, movementTotals, mrrChange, mrrChart } from "../mrr";
import type { Dashboard, Job, MrrSeries, Summary } from "../types";
import { HEALTH_TONES } from "./jobs";

const count = (n: number) => new Intl.NumberFormat().format(n);

export function DashboardPage() {
  const overview = useLoad(
    () => Promise.all([admin.dashboard(), admin.summary(), admin.jobs()]),
    [],
  );
  return (
    <>
      <h1>Dashboard</h1>
      <Loading state={overview}>
        {([dashboard, summary, jobs]) => (
          <Tiles dashboard={dashboard} summary={summary} jobs={jobs.data} />
        )}
      </Loading>
      <MrrSection />
      <Loading state={overview}>
        {([dashboard, , jobs]) => (
          <div class="columns">
            <SubscribersByPlan dashboard={dashboard} />
            <JobHealthList jobs={jobs.data} />
          </div>
        )}
      </Loading>
    </>
  );
}

function Tiles({
  dashboard,
  summary,
  jobs,
}: {
  dashboard: Dashboard;
  summary: Summary;
  jobs: Job[];
}) {
  const currencies = Object.entries(dashboard.mrr).sort((a, b) => b[1].mrr - a[1].mrr);
  const first = Object.values(summary.currencies)[0];
  const health = healthCounts(jobs, Date.now());
  const failing = health.error + health.late;
  return (
    <section aria-label="Key figures" class="stats">
      <Stat
        label="MRR"
        value={
          currencies.length
            ? currencies.map(([c, m]) => <span key={c}>{formatMoney(m.mrr, c)} </span>)
            : "No revenue yet"
        }
        detail={
          currencies[0]
            ? `ARR ${formatMoney(currencies[0][1].arr, currencies[0][0])} · as of ${currencies[0][1].as_of}`
            : "The revenue snapshot runs daily"
        }
      />
      <Stat
        label="Paying subscribers"
        value={count(currencies.reduce((n, [, m]) => n + m.paying_subscribers, 0))}
        detail={`${count(currencies.reduce((n, [, m]) => n + m.trials, 0))} on trial`}
      />
      <Stat
        label="Users"
        value={count(dashboard.users.total)}
        detail={`${count(dashboard.users.active_today)} active today`}
      />
      <Stat
        label="Signups, 30 days"
        value={first ? count(first.signups) : "–"}
        detail={
          first
            ? `${count(first.avg_active_users)} active users a day on average`
            : "No snapshot yet"
        }
      />
      <Stat
        label="Failed payments, 7 days"
        value={<Link to="/payments?status=failed">{count(dashboard.failed_payments_7d)}</Link>}
        tone={dashboard.failed_payments_7d > 0 ? "over" : "ok"}
      />
      <Stat
        label="Failed webhook events, 7 days"
        value={
          <Link to="/webhooks?status=failed">{count(dashboard.failed_webhook_events_7d)}</Link>
        }
        tone={dashboard.failed_webhook_events_7d > 0 ? "over" : "ok"}
      />
      <Stat
        label="Jobs"
        value={<Link to="/jobs">{failing ? `${failing} failing or late` : "All healthy"}</Link>}
        detail={`${health.ok} ok, ${health.never} never run`}
        tone={failing ? "over" : "ok"}
      />
    </section>
  );
}

function MrrSection() {
  const [interval, setInterval] = useState<"day" | "month">("day");
  const series = useLoad(() => admin.mrr(interval), [interval]);
  return (
    <section class="card" aria-labelledby="mrr-heading">
      <div class="section-head">
        <h2 id="mrr-heading">MRR over time</h2>
        <fieldset class="segmented">
          <legend class="visually-hidden">Interval</legend>
          {(["day", "month"] as const).map((value) => (
            <label key={value}>
              <input
                type="radio"
                name="mrr-interval"
                value={value}
                checked={interval === value}
                onChange={() => setInterval(value)}
              />
              {value === "day" ? "Last 30 days" : "Last 12 months"}
            </label>
          ))}
        </fieldset>
      </div>
      <Loading state={series}>{(data) => <MrrCharts series={data} />}</Loading>
    </section>
  );
}

function MrrCharts({ series }: { series: MrrSeries }) {
  const currencies = currenciesOf(series);
  const [picked, setPicked] = useState<string | null>(null);
  const currency = picked && currencies.includes(picked) ? picked : currencies[0];
  const chart = useMemo(() => (currency ? mrrChart(series, currency) : null), [series, currency]);
  const format = useMemo(
    () => (v: number) => formatMoney(Math.round(v), currency ?? "usd"),
    [currency],
  );
  if (!currency || !chart) {
    return (
      <p class="muted">
        No revenue snapshots between {series.from} and {series.to} yet: the revenue snapshot job
        writes one a day.
      </p>
    );
  }
  const points = series.series[currency] ?? [];
  const change = mrrChange(points);
  const totals = movementTotals(points);
  return (
    <>
      {currencies.length > 1 ? (
        <div class="field inline-field">
          <label for="mrr-currency">Currency</label>
          <select
            id="mrr-currency"
            value={currency}
            onChange={(e) => setPicked(e.currentTarget.value)}
          >
            {currencies.map((c) => (
              <option key={c} value={c}>
                {c.toUpperCase()}
              </option>
            ))}
          </select>
        </div>
      ) : null}
      <div class="charts">
        <Chart
          title={`MRR (${currency.toUpperCase()})`}
          x={chart.x}
          series={chart.levels}
          formatValue={format}
          summary={change ? <ChangeText change={change} currency={currency} /> : null}
        />
        <Chart
          title="MRR movements"
          x={chart.x}
          series={chart.movements}
          formatValue={format}
          summary={
            <p>Gains above the line, losses below it, and the net of each {series.interval}.</p>
          }
        />
      </div>
      <table class="movements">
        <caption>
          Movements from {series.from} to {series.to}: {count(totals.newSubscribers)} subscribers
          won, {count(totals.churnedSubscribers)} lost
        </caption>
        <thead>
          <tr>
            <th scope="col">Movement</th>
            <th scope="col" class="num">
              MRR
            </th>
          </tr>
        </thead>
        <tbody>
          {totals.rows.map((row) => (
            <tr key={row.key} class={row.key === "net_new_mrr" ? "total" : undefined}>
              <th scope="row">{row.label}</th>
              <td class={`num ${row.amount < 0 ? "negative" : ""}`}>
                {row.amount > 0 ? "+" : ""}
                {formatMoney(row.amount, currency)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function ChangeText({
  change,
  currency,
}: {
  change: NonNullable<ReturnType<typeof mrrChange>>;
  currency: string;
}) {
  const at = `${formatMoney(change.last.mrr, currency)} on ${change.last.date}`;
  if (change.first === change.last) return <p>{at}, the only snapshot in this range.</p>;
  const way = change.change >= 0 ? "up" : "down";
  const percent = change.percent === null ? "" : ` (${Math.abs(change.percent)}%)`;
  return (
    <p>
      {at}, {way} {formatMoney(Math.abs(change.change), currency)}
      {percent} since {change.first.date}.
    </p>
  );
}

function SubscribersByPlan({ dashboard }: { dashboard: Dashboard }) {
  const rows = Object.entries(dashboard.subscribers.by_plan).sort((a, b) => b[1] - a[1]);
  const most = Math.max(1, ...rows.map(([, n]) => n));
  return (
    <section class="card" aria-labelledby="plans-heading">
      <h2 id="plans-heading">Subscribers by plan</h2>
      {rows.length === 0 ? (
        <p class="muted">No subscribers yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Plan</th>
              <th scope="col" class="num">
                Subscribers
              </th>
              <th scope="col">
                <span class="visually-hidden">Share</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map(([code, n]) => (
              <tr key={code}>
                <th scope="row">
                  <Link
                    to={`/users?plan=${encodeURIComponent(code)}`}
                    aria-label={`Users on ${code}`}
                  >
                    <PlanTag code={code} />
                  </Link>
                </th>
                <td class="num">{count(n)}</td>
                <td class="share-cell">
                  <span class="share" aria-hidden="true">
                    <span class="share-fill" style={{ width: `${(n * 100) / most}%` }} />
                  </span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p class="hint">
        By status:{" "}
        {Object.entries(dashboard.subscribers.by_status)
          .filter(([, n]) => n > 0)
          .map(([s, n]) => `${humanize(s)} ${count(n)}`)
          .join(", ") || "none"}
      </p>
    </section>
  );
}

function JobHealthList({ jobs }: { jobs: Job[] }) {
  const now = Date.now();
  return (
    <section class="card" aria-labelledby="jobs-heading">
      <h2 id="jobs-heading">Job health</h2>
      <ul class="plain-list">
        {jobs.map((job) => {
          const health: JobHealth = jobHealth(job, now);
          return (
            <li key={job.name}>
              <Tag tone={HEALTH_TONES[health]}>{humanize(health)}</Tag> <code>{job.name}</code>{" "}
              <span class="muted">
                {job.last_run ? formatDateTime(job.last_run.run_at) : "never run"}
              </span>
            </li>
          );
        })}
      </ul>
      <p>
        <Link to="/jobs">All jobs and their last runs</Link>
      </p>
    </section>
  );
}
