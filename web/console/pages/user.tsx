// One user: who they are, quick actions, subscription, usage windows and 30-day history,
// payments (with refunds), API keys and what admins did to the account. Six requests.
import { useState } from "preact/hooks";
import { historySeries, UsageMeters } from "../../account/pages/usage";
import { Chart } from "../../shared/chart";
import { formatDate, formatDateTime } from "../../shared/format";
import { type Loaded, useLoad } from "../../shared/load";
import { Link } from "../../shared/router";
import { admin } from "../admin-api";
import { humanize } from "../colours";
import { formatCount, Loading, PlanTag, StandingTag, StatusTag } from "../components";
import { TableHead } from "../lists";
import { RefundDialog } from "../refund";
import { AuditTable, PaymentTable } from "../tables";
import type { ApiKey, AuditEntry, Page, Payment, Subscription, Usage } from "../types";
import { QuickActions } from "./user-actions";

export function UserPage({ id }: { id: string }) {
  const user = useLoad(() => admin.user(id), [id]);
  const usage = useLoad(() => admin.usage(id), [id]);
  const subscription = useLoad(() => admin.subscription(id), [id]);
  const payments = useLoad(() => admin.payments({ user_id: id }, { limit: 25 }), [id]);
  const keys = useLoad(() => admin.apiKeys(id), [id]);
  const audit = useLoad(() => admin.audit({ target_id: id }, { limit: 25 }), [id]);
  return (
    <>
      <p class="crumbs">
        <Link to="/users">Users</Link>
      </p>
      <Loading state={user}>
        {(u) => (
          <>
            <h1>{u.email}</h1>
            <p class="identity">
              {u.name ? <span>{u.name} · </span> : null}
              <code>{u.id}</code> · joined {formatDate(u.created_at)} ·{" "}
              {u.email_verified ? "email verified" : "email not verified"}
              {u.role === "admin" ? " · administrator" : ""}
            </p>
            <p class="tags">
              <StatusTag status={u.status} />{" "}
              {usage.data ? (
                <>
                  <PlanTag code={usage.data.plan ?? "free"} />{" "}
                  <StandingTag standing={usage.data.standing} />
                </>
              ) : null}
            </p>
            <QuickActions
              user={u}
              subscription={subscription.data?.subscription ?? null}
              onChanged={async (what) => {
                if (what === "status") await user.reload();
                if (what === "plan") await subscription.reload();
                if (what === "plan" || what === "usage") await usage.reload();
                await audit.reload();
              }}
            />
          </>
        )}
      </Loading>
      <div class="columns">
        <SubscriptionCard state={subscription} />
        <UsageCard state={usage} />
      </div>
      <PaymentsCard state={payments} />
      <KeysCard state={keys} />
      <AuditCard state={audit} />
    </>
  );
}

function SubscriptionCard({ state }: { state: Loaded<{ subscription: Subscription | null }> }) {
  return (
    <section class="card" aria-labelledby="sub-heading">
      <h2 id="sub-heading">Subscription</h2>
      <Loading state={state}>
        {({ subscription: s }) =>
          s ? (
            <dl class="facts">
              <dt>Plan</dt>
              <dd>
                {s.plan ? <PlanTag code={s.plan.code} /> : "—"} {s.plan?.name} ({s.interval}ly)
              </dd>
              <dt>Status</dt>
              <dd>
                {humanize(s.status)}
                {s.cancel_at_period_end ? " · cancels at the period end" : ""}
              </dd>
              <dt>Standing</dt>
              <dd>
                <StandingTag standing={s.standing} />
              </dd>
              <dt>Paid through</dt>
              <dd>{s.provider === "manual" ? "granted by an admin (no charge)" : s.provider}</dd>
              <dt>Period</dt>
              <dd>
                {s.current_period_start ? formatDate(s.current_period_start) : "—"} to{" "}
                {s.current_period_end ? formatDate(s.current_period_end) : "—"}
              </dd>
              {s.trial_end ? (
                <>
                  <dt>Trial ends</dt>
                  <dd>{formatDateTime(s.trial_end)}</dd>
                </>
              ) : null}
              {s.scheduled_change ? (
                <>
                  <dt>Scheduled</dt>
                  <dd>
                    to {s.scheduled_change.plan_id} ({s.scheduled_change.interval}ly) on{" "}
                    {formatDate(s.scheduled_change.effective_at)}
                  </dd>
                </>
              ) : null}
            </dl>
          ) : (
            <p class="muted">On the free plan: no subscription.</p>
          )
        }
      </Loading>
    </section>
  );
}

function UsageCard({ state }: { state: Loaded<Usage> }) {
  return (
    <section class="card" aria-labelledby="usage-heading">
      <h2 id="usage-heading">Usage</h2>
      <Loading state={state}>
        {(usage) => (
          <>
            <UsageMeters usage={usage} now={Date.now()} />
            <Chart
              title="Requests per day, last 30 days"
              {...historySeries(usage)}
              formatValue={formatCount}
            />
          </>
        )}
      </Loading>
    </section>
  );
}

function PaymentsCard({ state }: { state: Loaded<Page<Payment>> }) {
  const [refunding, setRefunding] = useState<Payment | null>(null);
  return (
    <section class="card" aria-labelledby="payments-heading">
      <h2 id="payments-heading">Payments</h2>
      <Loading state={state}>
        {(page) =>
          page.data.length === 0 ? (
            <p class="muted">No payments.</p>
          ) : (
            <PaymentTable payments={page.data} onRefund={setRefunding} />
          )
        }
      </Loading>
      {refunding ? (
        <RefundDialog
          payment={refunding}
          onClose={() => setRefunding(null)}
          onDone={() => void state.reload()}
        />
      ) : null}
    </section>
  );
}

function KeysCard({ state }: { state: Loaded<{ data: ApiKey[] }> }) {
  return (
    <section class="card" aria-labelledby="keys-heading">
      <h2 id="keys-heading">API keys</h2>
      <Loading state={state}>
        {({ data }) =>
          data.length === 0 ? (
            <p class="muted">No live API keys.</p>
          ) : (
            <table>
              <TableHead columns={["Name", "Key", "Created", "Last used", "Expires"]} />
              <tbody>
                {data.map((k) => (
                  <tr key={k.id}>
                    <th scope="row">{k.name}</th>
                    <td>
                      <code>{k.prefix}</code>
                    </td>
                    <td>{formatDate(k.created_at)}</td>
                    <td>{k.last_used_at ? formatDateTime(k.last_used_at) : "never"}</td>
                    <td>{k.expires_at ? formatDate(k.expires_at) : "never"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Loading>
    </section>
  );
}

function AuditCard({ state }: { state: Loaded<Page<AuditEntry>> }) {
  return (
    <section class="card" aria-labelledby="audit-heading">
      <h2 id="audit-heading">What admins did</h2>
      <Loading state={state}>
        {(page) =>
          page.data.length === 0 ? (
            <p class="muted">No admin actions on this account.</p>
          ) : (
            <AuditTable entries={page.data} />
          )
        }
      </Loading>
    </section>
  );
}
