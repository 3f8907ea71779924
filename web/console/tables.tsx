// The tables more than one page shows: payments (with their refund buttons) and audit entries.
import { formatDateTime, formatMoney } from "../shared/format";
import { Link } from "../shared/router";
import { humanize } from "./colours";
import { ACTIONS, TableHead } from "./lists";
import { refundable } from "./refund";
import type { AuditEntry, Payment } from "./types";

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
        <TableHead
          columns={[
            "Date",
            ...(showUser ? ["User"] : []),
            { label: "Amount", num: true },
            { label: "Refunded", num: true },
            "Status",
            "Provider",
            ACTIONS,
          ]}
        />
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

/** Audit entries: when, who, what, to what, and the details. */
export function AuditTable({ entries }: { entries: AuditEntry[] }) {
  return (
    <div class="table-wrap">
      <table>
        <TableHead columns={["When", "Action", "By", "Target", "Details"]} />
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
