// Jobs: each one's schedule, health and last run (duration, counts, error), and "Run now".
import { useState } from "preact/hooks";
import type { Problem } from "../../shared/api";
import { formatDateTime } from "../../shared/format";
import { useLoad } from "../../shared/load";
import { asProblem, ProblemAlert } from "../../shared/problem";
import { admin } from "../admin-api";
import { humanize, TONES, type Tone } from "../colours";
import { Loading, Notice, Tag } from "../components";
import { type JobHealth, jobHealth } from "../jobs";
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
  const [running, setRunning] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);

  async function run(job: Job) {
    setRunning(job.name);
    setProblem(null);
    setNotice(`Running ${job.name}…`);
    try {
      const result = await admin.runJob(job.name);
      setNotice(
        `${job.name} ${result.status === "ok" ? "finished" : `ended with ${result.status}`} in ${result.duration_ms ?? 0} ms.`,
      );
      await jobs.reload();
    } catch (error) {
      setNotice(null);
      setProblem(asProblem(error));
    } finally {
      setRunning(null);
    }
  }

  return (
    <>
      <h1>Jobs</h1>
      <p class="muted">
        Cron runs these on their schedules; "Run now" runs one at once (audit-logged) and shows what
        it did.
      </p>
      <Notice text={notice} />
      <ProblemAlert problem={problem} />
      <Loading state={jobs}>
        {({ data }) => (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Job</th>
                  <th scope="col">Health</th>
                  <th scope="col">Schedule</th>
                  <th scope="col">Last run</th>
                  <th scope="col" class="num">
                    Took
                  </th>
                  <th scope="col">Counts</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
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
                          disabled={running !== null}
                          onClick={() => void run(job)}
                        >
                          {running === job.name ? "Running…" : "Run now"}
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
