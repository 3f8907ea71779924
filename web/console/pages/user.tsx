// One user: who they are, quick actions, subscription, usage windows and 30-day history,
// payments (with refunds), API keys and what admins did to the account. Six requests.
import { useState } from "preact/hooks";
import { historySeries, UsageMeters } from "../../account/pages/usage";
import { Chart } from "../../shared/chart";
import { formatDate, formatDateTime, formatMoney } from "../../shared/format";
import { type Loaded, useLoad } from "../../shared/load";
import { Link } from "../../shared/router";
import { admin } from "../admin-api";
import { humanize } from "../colours";
import { Loading, PlanTag, StandingTag, StatusTag } from "../components";
import { RefundDialog, refundable } from "../refund";
import type { ApiKey, AuditEntry, Page, Payment, Subscription, Usage } from "../types";
import { QuickActions } from "./user-actions";

const count = (v: number) => new Intl.NumberFormat().format(v);

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
              formatValue={count}
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

/** Payments, newest first, each refundable one with its "Refund…" button. */
export function PaymentTable({
  payments,
  onRefund,
  showUser = false,
}: {
  payments: Payment[];
  onRefund: (payment: Payment) => void;
  showUser?: boolean;
}) {
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Date</th>
            {showUser ? <th scope="col">User</th> : null}
            <th scope="col" class="num">
              Amount
            </th>
            <th scope="col" class="num">
              Refunded
            </th>
            <th scope="col">Status</th>
            <th scope="col">Provider</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {payments.map((p) => (
            <tr key={p.id}>
              <th scope="row">
                {formatDateTime(p.created_at)}
                <code class="sub">{p.id}</code>
              </th>
              {showUser ? (
                <td>
                  <Link to={`/users/${p.user_id}`}>{p.user_id}</Link>
                </td>
              ) : null}
              <td class="num">{formatMoney(p.amount, p.currency)}</td>
              <td class="num">
                {p.amount_refunded ? formatMoney(p.amount_refunded, p.currency) : "–"}
              </td>
              <td>
                {humanize(p.status)}
                {p.failure_reason ? <span class="sub muted">{p.failure_reason}</span> : null}
              </td>
              <td>{p.provider}</td>
              <td>
                {refundable(p) > 0 ? (
                  <button type="button" onClick={() => onRefund(p)}>
                    Refund…<span class="visually-hidden"> ({p.id})</span>
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
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
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Key</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Expires</th>
                </tr>
              </thead>
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

/** Audit entries: when, who, what, to what, and the details. */
export function AuditTable({ entries }: { entries: AuditEntry[] }) {
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Action</th>
            <th scope="col">By</th>
            <th scope="col">Target</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((a) => (
            <tr key={a.id}>
              <th scope="row">{formatDateTime(a.created_at)}</th>
              <td>
                <code>{a.action}</code>
              </td>
              <td>
                <Link to={`/users/${a.actor_id}`}>{a.actor_id}</Link>
              </td>
              <td>
                {a.target_type === "user" ? (
                  <Link to={`/users/${a.target_id}`}>{a.target_id}</Link>
                ) : (
                  <code>{a.target_id}</code>
                )}
              </td>
              <td>
                <code class="json">{JSON.stringify(a.data)}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
