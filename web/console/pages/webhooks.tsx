// Webhook events: what Stripe and PayPal sent, filtered by status and provider, and a replay
// for any of them (the handlers are idempotent, so applying an event twice changes nothing).
import { useState } from "preact/hooks";
import type { Problem } from "../../shared/api";
import { formatDateTime } from "../../shared/format";
import { useLoad } from "../../shared/load";
import { asProblem, ProblemAlert } from "../../shared/problem";
import { useRoute } from "../../shared/router";
import { admin } from "../admin-api";
import { humanize, TONES } from "../colours";
import { FilterForm, Loading, Notice, Pager, Tag, useCursorPager } from "../components";
import { type FilterValues, hasFilters, queryString, readFilters, WEBHOOK_FILTERS } from "../query";
import { WEBHOOK_STATUSES, type WebhookStatus } from "../types";

type Filters = FilterValues<typeof WEBHOOK_FILTERS>;

const STATUS_TONES: Record<WebhookStatus, (typeof TONES)[keyof typeof TONES]> = {
  pending: TONES.blue,
  processed: TONES.green,
  ignored: TONES.grey,
  failed: TONES.red,
};

export function WebhooksPage() {
  useRoute();
  const filters = readFilters(WEBHOOK_FILTERS, location.search);
  return (
    <>
      <h1>Webhook events</h1>
      <p class="muted">
        Every event Stripe and PayPal sent, as stored. A failed event can be replayed once its cause
        is fixed; so can any other.
      </p>
      <FilterForm
        path="/webhooks"
        label="Filter webhook events"
        values={filters}
        fields={[
          { name: "status", label: "Status", options: WEBHOOK_STATUSES },
          { name: "provider", label: "Provider", options: WEBHOOK_FILTERS.provider },
        ]}
      />
      <EventList key={queryString(filters)} filters={filters} />
    </>
  );
}

function EventList({ filters }: { filters: Filters }) {
  const pager = useCursorPager();
  const events = useLoad(
    () => admin.webhookEvents(filters, { cursor: pager.cursor, limit: 25 }),
    [pager.cursor],
  );
  const [busy, setBusy] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  async function replay(id: string) {
    setBusy(id);
    setProblem(null);
    try {
      await admin.replay(id);
      setNotice(`Event ${id} queued to be applied again.`);
      await events.reload();
    } catch (error) {
      setProblem(asProblem(error));
    } finally {
      setBusy(null);
    }
  }
  return (
    <>
      <Notice text={notice} />
      <ProblemAlert problem={problem} />
      <Loading state={events}>
        {(page) =>
          page.data.length === 0 ? (
            <p class="empty">No events{hasFilters(filters) ? " match these filters" : " yet"}.</p>
          ) : (
            <>
              <div class="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Received</th>
                      <th scope="col">Event</th>
                      <th scope="col">Status</th>
                      <th scope="col" class="num">
                        Attempts
                      </th>
                      <th scope="col">Last error</th>
                      <th scope="col">
                        <span class="visually-hidden">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {page.data.map((e) => (
                      <tr key={e.id}>
                        <th scope="row">{formatDateTime(e.received_at)}</th>
                        <td>
                          <code>{e.type}</code>
                          <span class="sub muted">
                            {e.provider} · <code>{e.provider_event_id}</code>
                          </span>
                        </td>
                        <td>
                          <Tag tone={STATUS_TONES[e.status]}>{humanize(e.status)}</Tag>
                        </td>
                        <td class="num">{e.attempts}</td>
                        <td>
                          {e.last_error ? <span class="error-text">{e.last_error}</span> : "–"}
                        </td>
                        <td>
                          <button
                            type="button"
                            disabled={busy !== null}
                            onClick={() => void replay(e.id)}
                          >
                            {busy === e.id ? "Replaying…" : "Replay"}
                            <span class="visually-hidden"> ({e.id})</span>
                          </button>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <Pager pager={pager} nextCursor={page.next_cursor} label="Events" />
            </>
          )
        }
      </Loading>
    </>
  );
}
