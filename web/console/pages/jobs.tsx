// Jobs: each one's schedule, health and last run (duration, counts, error), and "Run now".
import { formatDateTime } from "../../shared/format";
import { useLoad } from "../../shared/load";
import { admin } from "../admin-api";
import { humanize, TONES, type Tone } from "../colours";
import { Loading, Tag, useAction } from "../components";
import { type JobHealth, jobHealth } from "../jobs";
import { ACTIONS, TableHead } from "../lists";
import type { Job, JobRun } from "../types";

export const HEALTH_TONES: Record<JobHealth, Tone> = {
  ok: TONES.green,
  running: TONES.blue,
  error: TONES.red,
  late: TONES.amber,
  never: TONES.grey,
};

function Counts({ run }: { run: JobRun }) {
  const entries = Object.entries(run.counts);
  if (entries.length === 0) return <span class="muted">none</span>;
  return (
    <span class="counts">
      {entries.map(([k, v]) => (
        <span key={k}>
          {k.replaceAll("_", " ")} <strong>{v}</strong>
        </span>
      ))}
    </span>
  );
}

export function JobsPage() {
  const jobs = useLoad(() => admin.jobs(), []);
  const action = useAction();
  const run = (job: Job) =>
    action.run(job.name, async (say) => {
      say(`Running ${job.name}…`);
      const result = await admin.runJob(job.name);
      await jobs.reload();
      const how = result.status === "ok" ? "finished" : `ended with ${result.status}`;
      return `${job.name} ${how} in ${result.duration_ms ?? 0} ms.`;
    });
  return (
    <>
      <h1>Jobs</h1>
      <p class="muted">
        Cron runs these on their schedules; "Run now" runs one at once (audit-logged) and shows what
        it did.
      </p>
      {action.status}
      <Loading state={jobs}>
        {({ data }) => (
          <div class="table-wrap">
            <table>
              <TableHead
                columns={[
                  "Job",
                  "Health",
                  "Schedule",
                  "Last run",
                  { label: "Took", num: true },
                  "Counts",
                  ACTIONS,
                ]}
              />
              <tbody>
                {data.map((job) => {
                  const health = jobHealth(job, Date.now());
                  const last = job.last_run;
                  return (
                    <tr key={job.name}>
                      <th scope="row">
                        <code>{job.name}</code>
                      </th>
                      <td>
                        <Tag tone={HEALTH_TONES[health]}>{humanize(health)}</Tag>
                      </td>
                      <td>
                        {job.crons.map((c) => (
                          <code key={c} class="cron">
                            {c}
                          </code>
                        ))}
                      </td>
                      <td>
                        {last ? (
                          <>
                            {formatDateTime(last.run_at)}{" "}
                            <span class="muted">({last.trigger})</span>
                            {last.error ? <p class="field-error">{last.error}</p> : null}
                          </>
                        ) : (
                          <span class="muted">never</span>
                        )}
                      </td>
                      <td class="num">
                        {last?.duration_ms != null ? `${last.duration_ms} ms` : "–"}
                      </td>
                      <td>{last ? <Counts run={last} /> : null}</td>
                      <td>
                        <button
                          type="button"
                          disabled={action.busy !== null}
                          onClick={() => void run(job)}
                        >
                          {action.busy === job.name ? "Running…" : "Run now"}
                          <span class="visually-hidden"> ({job.name})</span>
                        </button>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </Loading>
    </>
  );
}
