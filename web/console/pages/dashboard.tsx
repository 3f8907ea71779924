import { formatDateTime, formatMoney } from "../../shared/format";
import { useLoad } from "../../shared/load";
import { Link } from "../../shared/router";
import { admin } from "../admin-api";
import { humanize } from "../colours";
import { formatCount, Loading, PlanTag, Stat, Tag } from "../components";
import { healthCounts, type JobHealth, jobHealth } from "../jobs";
import { TableHead } from "../lists";
import type { Dashboard, Job, Summary } from "../types";
import { HEALTH_TONES } from "./jobs";
import { MrrSection } from "./mrr-section";

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
        value={formatCount(currencies.reduce((n, [, m]) => n + m.paying_subscribers, 0))}
        detail={`${formatCount(currencies.reduce((n, [, m]) => n + m.trials, 0))} on trial`}
      />
      <Stat
        label="Users"
        value={formatCount(dashboard.users.total)}
        detail={`${formatCount(dashboard.users.active_today)} active today`}
      />
      <Stat
        label="Signups, 30 days"
        value={first ? formatCount(first.signups) : "–"}
        detail={
          first
            ? `${formatCount(first.avg_active_users)} active users a day on average`
            : "No snapshot yet"
        }
      />
      <Stat
        label="Failed payments, 7 days"
        value={
          <Link to="/payments?status=failed">{formatCount(dashboard.failed_payments_7d)}</Link>
        }
        tone={dashboard.failed_payments_7d > 0 ? "over" : "ok"}
      />
      <Stat
        label="Failed webhook events, 7 days"
        value={
          <Link to="/webhooks?status=failed">
            {formatCount(dashboard.failed_webhook_events_7d)}
          </Link>
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
          <TableHead
            columns={[
              "Plan",
              { label: "Subscribers", num: true },
              { label: "Share", hidden: true },
            ]}
          />
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
                <td class="num">{formatCount(n)}</td>
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
          .map(([s, n]) => `${humanize(s)} ${formatCount(n)}`)
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
