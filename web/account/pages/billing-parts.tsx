// Pieces of the billing page: the standing alert, the subscription card with cancel/resume and
// the Stripe portal, and the payment history.
import { useState } from "preact/hooks";
import { api } from "../../shared/api";
import { formatDate, formatMoney } from "../../shared/format";
import { Form } from "../../shared/forms";
import { asProblem, ProblemAlert } from "../../shared/problem";
import type { Page, Payment, Plan, Standing, Subscription } from "../../shared/types";

const STANDING_TEXT: Record<Exclude<Standing, "good">, string> = {
  past_due: "Your last payment failed. We will try again; update your payment method to be safe.",
  restricted: "Your payment is overdue: your limits are reduced until it is paid.",
  suspended: "Your account is suspended for non-payment: API calls are refused until it is paid.",
};

export function StandingAlert({ standing }: { standing: Standing }) {
  if (standing === "good") return null;
  return (
    <div class={standing === "past_due" ? "alert alert-warn" : "alert alert-error"} role="alert">
      {STANDING_TEXT[standing]}
    </div>
  );
}

const STATUS_BADGE: Record<string, string> = {
  active: "badge-ok",
  trialing: "badge-info",
  past_due: "badge-warn",
  canceled: "badge-over",
  incomplete: "badge-warn",
};

export function SubscriptionCard({
  subscription: sub,
  plans,
  onChanged,
}: {
  subscription: Subscription;
  plans: Plan[];
  onChanged: () => void;
}) {
  const [problem, setProblem] = useState<ReturnType<typeof asProblem> | null>(null);
  const [confirmCancel, setConfirmCancel] = useState(false);
  const scheduled = sub.scheduled_change
    ? plans.find((p) => p.id === sub.scheduled_change?.plan_id)
    : undefined;
  const run = async (work: () => Promise<unknown>) => {
    setProblem(null);
    try {
      await work();
      onChanged();
    } catch (error) {
      setProblem(asProblem(error));
    }
  };
  return (
    <section class="card" aria-labelledby="subscription-heading">
      <h2 id="subscription-heading">Your subscription</h2>
      <p>
        <strong class="plan-name">{sub.plan?.name ?? "Unknown plan"}</strong>, billed per{" "}
        {sub.interval} through {sub.provider === "manual" ? "your administrator" : sub.provider}{" "}
        <span class={`badge ${STATUS_BADGE[sub.status] ?? ""}`}>
          {sub.status.replace("_", " ")}
        </span>
      </p>
      {sub.current_period_start && sub.current_period_end ? (
        <p>
          Current period: {formatDate(sub.current_period_start)} –{" "}
          {formatDate(sub.current_period_end)}
        </p>
      ) : null}
      {sub.trial_end ? <p>Trial until {formatDate(sub.trial_end)}.</p> : null}
      {sub.scheduled_change ? (
        <p class="alert alert-info">
          Moving to {scheduled?.name ?? sub.scheduled_change.plan_id} (per{" "}
          {sub.scheduled_change.interval}) on {formatDate(sub.scheduled_change.effective_at)}.
        </p>
      ) : null}
      {sub.cancel_at_period_end ? (
        <div class="alert alert-warn">
          <p>
            Canceled: it ends on {formatDate(sub.current_period_end)}, then you are on the free
            plan.
          </p>
          <p class="actions">
            <button
              type="button"
              class="primary"
              onClick={() => run(() => api("POST", "/v1/subscription/resume"))}
            >
              Resume subscription
            </button>
          </p>
        </div>
      ) : null}
      <ProblemAlert problem={problem} />
      <div class="actions">
        {sub.provider === "stripe" ? (
          <button
            type="button"
            onClick={() =>
              run(async () => {
                const { url } = await api<{ url: string }>("POST", "/v1/billing/portal", {
                  return_url: `${location.origin}/account/billing`,
                });
                location.assign(url);
              })
            }
          >
            Manage payment methods and invoices
          </button>
        ) : null}
        {!sub.cancel_at_period_end && sub.status !== "canceled" && !confirmCancel ? (
          <button type="button" onClick={() => setConfirmCancel(true)}>
            Cancel subscription…
          </button>
        ) : null}
      </div>
      {confirmCancel && !sub.cancel_at_period_end ? (
        <Form
          label="Cancel subscription"
          submit="Cancel at the end of the period"
          danger
          onSubmit={async ({ reason = "" }) => {
            await api("POST", "/v1/subscription/cancel", {
              at_period_end: true,
              ...(reason.trim() ? { reason: reason.trim() } : {}),
            });
            setConfirmCancel(false);
            onChanged();
          }}
        >
          <p>
            You keep {sub.plan?.name ?? "your plan"} until {formatDate(sub.current_period_end)}; you
            can resume until then.
          </p>
          <div class="field">
            <label for="cancel-reason">Why are you leaving? (optional)</label>
            <textarea id="cancel-reason" name="reason" maxLength={500} rows={2} />
          </div>
        </Form>
      ) : null}
    </section>
  );
}

const PAYMENT_BADGE: Record<string, string> = {
  succeeded: "badge-ok",
  failed: "badge-over",
  refunded: "badge-info",
  partially_refunded: "badge-info",
  pending: "badge-warn",
};

export function PaymentHistory({ page }: { page: Page<Payment> | undefined }) {
  return (
    <section class="card" aria-labelledby="payments-heading">
      <h2 id="payments-heading">Payment history</h2>
      {page && page.data.length === 0 ? <p class="muted">No payments yet.</p> : null}
      {page && page.data.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th scope="col">Date</th>
              <th scope="col">Period</th>
              <th scope="col" class="num">
                Amount
              </th>
              <th scope="col">Status</th>
              <th scope="col">Receipt</th>
            </tr>
          </thead>
          <tbody>
            {page.data.map((p) => (
              <tr key={p.id}>
                <td>{formatDate(p.created_at)}</td>
                <td>
                  {p.period_start
                    ? `${formatDate(p.period_start)} – ${formatDate(p.period_end)}`
                    : "—"}
                </td>
                <td class="num">
                  {formatMoney(p.amount, p.currency)}
                  {p.amount_refunded > 0 ? (
                    <div class="hint">{formatMoney(p.amount_refunded, p.currency)} refunded</div>
                  ) : null}
                </td>
                <td>
                  <span class={`badge ${PAYMENT_BADGE[p.status] ?? ""}`}>
                    {p.status.replace("_", " ")}
                  </span>
                  {p.failure_reason ? <div class="hint">{p.failure_reason}</div> : null}
                </td>
                <td>
                  {p.receipt_url ? (
                    <a href={p.receipt_url} rel="noopener noreferrer" target="_blank">
                      Receipt
                      <span class="visually-hidden">
                        {" "}
                        for the payment of {formatDate(p.created_at)}
                      </span>
                    </a>
                  ) : (
                    "—"
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
