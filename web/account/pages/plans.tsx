// Choosing a plan: checkout (Stripe or PayPal) for a free account; for a subscriber, the
// proration preview of a change, then the change itself.
import { useState } from "preact/hooks";
import { api } from "../../shared/api";
import { formatMoney } from "../../shared/format";
import { Field, Form, SelectField } from "../../shared/forms";
import { asProblem, ProblemAlert } from "../../shared/problem";
import { prorationQuote } from "../../shared/proration";
import type { Interval, Plan, Proration, Subscription } from "../../shared/types";

const INTERVALS = [
  { value: "month", label: "Monthly" },
  { value: "year", label: "Yearly" },
] as const;

const PROVIDERS = [
  { value: "stripe", label: "Card (Stripe)" },
  { value: "paypal", label: "PayPal" },
] as const;

const limitText = (plan: Plan) => {
  const n = new Intl.NumberFormat();
  const parts = (["minute", "day", "month"] as const).map((w) =>
    plan.limits[w] === null ? `unlimited per ${w}` : `${n.format(plan.limits[w] ?? 0)} per ${w}`,
  );
  return `Requests: ${parts.join(", ")}`;
};

const isFree = (plan: Plan) => plan.prices.month.amount === 0 && plan.prices.year.amount === 0;

function Checkout({ plan, interval }: { plan: Plan; interval: Interval }) {
  const back = `${location.origin}/account/billing`;
  return (
    <Form
      label={`Subscribe to ${plan.name}`}
      submit={`Continue to payment`}
      onSubmit={async ({ provider = "stripe", coupon_code = "" }) => {
        const { checkout_url } = await api<{ checkout_url: string }>(
          "POST",
          "/v1/subscription/checkout",
          {
            plan_id: plan.id,
            interval,
            provider,
            ...(coupon_code.trim() ? { coupon_code: coupon_code.trim() } : {}),
            success_url: `${back}?checkout=success`,
            cancel_url: `${back}?checkout=canceled`,
          },
        );
        location.assign(checkout_url);
      }}
    >
      <SelectField label="Pay with" name="provider" options={PROVIDERS} />
      <Field label="Coupon code (optional)" name="coupon_code" maxLength={40} />
    </Form>
  );
}

function ChangePreview({
  plan,
  interval,
  onChanged,
}: {
  plan: Plan;
  interval: Interval;
  onChanged: () => void;
}) {
  const [preview, setPreview] = useState<Proration | null>(null);
  const [problem, setProblem] = useState<ReturnType<typeof asProblem> | null>(null);
  const [busy, setBusy] = useState(false);
  const load = async () => {
    setBusy(true);
    setProblem(null);
    try {
      const query = new URLSearchParams({ plan_id: plan.id, interval });
      setPreview(await api<Proration>("GET", `/v1/subscription/change/preview?${query}`));
    } catch (error) {
      setProblem(asProblem(error));
    } finally {
      setBusy(false);
    }
  };
  const confirm = async () => {
    setBusy(true);
    setProblem(null);
    try {
      const result = await api<{ approval_url: string | null }>("POST", "/v1/subscription/change", {
        plan_id: plan.id,
        interval,
      });
      if (result.approval_url) location.assign(result.approval_url);
      else onChanged();
    } catch (error) {
      setProblem(asProblem(error));
    } finally {
      setBusy(false);
    }
  };
  const quote = preview ? prorationQuote(preview, plan.name) : null;
  return (
    <div class="quote">
      {quote ? (
        <>
          <p role="status">{quote.headline}</p>
          <table>
            <tbody>
              {quote.lines.map((line) => (
                <tr key={line.label} class={`quote-${line.kind}`}>
                  <th scope="row">{line.label}</th>
                  <td class="num">{line.amount}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p class="actions">
            <button type="button" class="primary" disabled={busy} onClick={confirm}>
              Confirm the change to {plan.name}
            </button>
          </p>
        </>
      ) : (
        <button type="button" disabled={busy} onClick={load}>
          See what changing to {plan.name} costs
        </button>
      )}
      <ProblemAlert problem={problem} />
    </div>
  );
}

export function PlanChooser({
  plans,
  subscription,
  onChanged,
}: {
  plans: Plan[];
  subscription: Subscription | null;
  onChanged: () => void;
}) {
  const [interval, setInterval] = useState<Interval>(subscription?.interval ?? "month");
  const [open, setOpen] = useState<string | null>(null);
  const current = subscription?.plan?.id ?? plans.find(isFree)?.id;
  return (
    <section class="card" aria-labelledby="plans-heading">
      <h2 id="plans-heading">Plans</h2>
      <SelectField
        label="Billing period"
        name="interval"
        value={interval}
        options={INTERVALS}
        onChange={(event) => {
          setInterval(event.currentTarget.value as Interval);
          setOpen(null);
        }}
      />
      <ul class="plans">
        {plans.map((plan) => {
          const price = plan.prices[interval];
          const isCurrent =
            plan.id === current && (!subscription || subscription.interval === interval);
          return (
            <li key={plan.id} class="plan card">
              <h3>{plan.name}</h3>
              <p>
                <strong>{formatMoney(price.amount, price.currency)}</strong> per {interval}
                {plan.trial_days > 0 && !subscription ? ` · ${plan.trial_days}-day trial` : ""}
              </p>
              {plan.description ? <p class="muted">{plan.description}</p> : null}
              <p class="hint">{limitText(plan)}</p>
              {isCurrent ? (
                <span class="badge badge-ok">Your plan</span>
              ) : isFree(plan) ? (
                subscription ? (
                  <p class="hint">Cancel your subscription to return to {plan.name}.</p>
                ) : null
              ) : open === plan.id ? (
                subscription ? (
                  <ChangePreview plan={plan} interval={interval} onChanged={onChanged} />
                ) : (
                  <Checkout plan={plan} interval={interval} />
                )
              ) : (
                <button type="button" class="primary" onClick={() => setOpen(plan.id)}>
                  {subscription ? `Switch to ${plan.name}` : `Choose ${plan.name}`}
                </button>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
