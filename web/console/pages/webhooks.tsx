// Webhook events: what Stripe and PayPal sent, filtered by status and provider, and a replay
// for any of them (the handlers are idempotent, so applying an event twice changes nothing).
import { formatDateTime } from "../../shared/format";
import { useRoute } from "../../shared/router";
import { admin } from "../admin-api";
import { humanize, TONES } from "../colours";
import { Tag, useAction } from "../components";
import { ACTIONS, FilterForm, PagedList, TableHead } from "../lists";
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
  const action = useAction();
  return (
    <>
      {action.status}
      <PagedList
        load={(page) => admin.webhookEvents(filters, page)}
        label="Events"
        empty={`No events${hasFilters(filters) ? " match these filters" : " yet"}.`}
      >
        {(events, reload) => (
          <table>
            <TableHead
              columns={[
                "Received",
                "Event",
                "Status",
                { label: "Attempts", num: true },
                "Last error",
                ACTIONS,
              ]}
            />
            <tbody>
              {events.map((e) => (
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
                  <td>{e.last_error ? <span class="error-text">{e.last_error}</span> : "–"}</td>
                  <td>
                    <button
                      type="button"
                      disabled={action.busy !== null}
                      onClick={() =>
                        void action.run(e.id, async () => {
                          await admin.replay(e.id);
                          await reload();
                          return `Event ${e.id} queued to be applied again.`;
                        })
                      }
                    >
                      {action.busy === e.id ? "Replaying…" : "Replay"}
                      <span class="visually-hidden"> ({e.id})</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </PagedList>
    </>
  );
}
