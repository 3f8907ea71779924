// Plans: every plan (archived ones too) with prices and limits; create, edit, archive and
// restore. A plan's new limits reach its subscribers on their next request.
import { useState } from "preact/hooks";
import { currencyExponent, minorToDecimal } from "../../../src/lib/currency";
import { formatMoney } from "../../shared/format";
import { Field, Form } from "../../shared/forms";
import { useLoad } from "../../shared/load";
import { Link, navigate } from "../../shared/router";
import { admin, forgetPlans } from "../admin-api";
import { TONES } from "../colours";
import { ConfirmDialog, Loading, Notice, PlanTag, readingInput, Tag } from "../components";
import { planBody } from "../inputs";
import { ACTIONS, TableHead } from "../lists";
import { type Plan, WINDOWS } from "../types";

const PROVIDER_FIELDS = [
  ["stripe_price_month", "Stripe monthly price"],
  ["stripe_price_year", "Stripe yearly price"],
  ["paypal_plan_month", "PayPal monthly plan"],
  ["paypal_plan_year", "PayPal yearly plan"],
] as const;

const limit = (n: number | null) => (n === null ? "∞" : new Intl.NumberFormat().format(n));

export function PlansPage() {
  const plans = useLoad(() => admin.plans(), []);
  const [archiving, setArchiving] = useState<Plan | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  async function setStatus(plan: Plan, status: "active" | "archived") {
    await admin.updatePlan(plan.id, { status });
    forgetPlans();
    setNotice(`${plan.name} ${status === "archived" ? "archived" : "restored"}.`);
    await plans.reload();
  }
  return (
    <>
      <div class="section-head">
        <h1>Plans</h1>
        <Link to="/plans/new" class="button primary">
          New plan
        </Link>
      </div>
      <Notice text={notice} />
      <Loading state={plans}>
        {({ data }) => (
          <div class="table-wrap">
            <table>
              <TableHead
                columns={[
                  "Plan",
                  "Status",
                  { label: "Monthly", num: true },
                  { label: "Yearly", num: true },
                  "Limits (minute / hour / day / month)",
                  { label: "Trial", num: true },
                  ACTIONS,
                ]}
              />
              <tbody>
                {data.map((p) => (
                  <tr key={p.id}>
                    <th scope="row">
                      <PlanTag code={p.code} /> {p.name}
                    </th>
                    <td>
                      <Tag tone={p.status === "active" ? TONES.green : TONES.grey}>
                        {p.status === "active" ? "Active" : "Archived"}
                      </Tag>
                    </td>
                    <td class="num">
                      {formatMoney(p.prices.month.amount, p.prices.month.currency)}
                    </td>
                    <td class="num">{formatMoney(p.prices.year.amount, p.prices.year.currency)}</td>
                    <td class="mono">{WINDOWS.map((w) => limit(p.limits[w])).join(" / ")}</td>
                    <td class="num">{p.trial_days ? `${p.trial_days} days` : "–"}</td>
                    <td class="row-actions">
                      <Link to={`/plans/${p.id}`} class="button">
                        Edit<span class="visually-hidden"> {p.name}</span>
                      </Link>
                      {p.status === "active" ? (
                        <button type="button" onClick={() => setArchiving(p)}>
                          Archive…<span class="visually-hidden"> {p.name}</span>
                        </button>
                      ) : (
                        <button type="button" onClick={() => void setStatus(p, "active")}>
                          Restore<span class="visually-hidden"> {p.name}</span>
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Loading>
      {archiving ? (
        <ConfirmDialog
          title={`Archive ${archiving.name}`}
          confirm="Archive plan"
          danger
          onClose={() => setArchiving(null)}
          onConfirm={() => setStatus(archiving, "archived")}
        >
          <p>
            Nobody can buy an archived plan; its current subscribers keep it. You can restore it
            later.
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}

function TextArea({
  label,
  name,
  value,
  hint,
}: {
  label: string;
  name: string;
  value: string;
  hint: string;
}) {
  const id = `field-${name}`;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <textarea id={id} name={name} rows={8} defaultValue={value} aria-describedby={`${id}-hint`} />
      <p class="hint" id={`${id}-hint`}>
        {hint}
      </p>
    </div>
  );
}

/** The create and edit form; fields are named by the API's paths so its errors land on them. */
export function PlanFormPage({ id }: { id: string | null }) {
  const plan = useLoad(async () => (id ? admin.plan(id) : null), [id]);
  return (
    <>
      <p class="crumbs">
        <Link to="/plans">Plans</Link>
      </p>
      <h1>{id ? `Edit ${plan.data?.name ?? "plan"}` : "New plan"}</h1>
      <Loading state={plan}>{(p) => <PlanForm plan={p} />}</Loading>
    </>
  );
}

function PlanForm({ plan }: { plan: Plan | null }) {
  const currency = plan?.prices.month.currency ?? "usd";
  const money = (amount: number | undefined) => minorToDecimal(amount ?? 0, currency);
  return (
    <Form
      label={plan ? `Edit ${plan.name}` : "New plan"}
      submit={plan ? "Save plan" : "Create plan"}
      onSubmit={readingInput(async (values) => {
        const body = planBody(values, currencyExponent, plan ? "edit" : "create");
        if (plan) await admin.updatePlan(plan.id, body);
        else await admin.createPlan(body);
        forgetPlans();
        navigate("/plans");
      })}
    >
      {plan ? null : (
        <Field
          label="Code"
          name="code"
          required
          hint="2 to 40 of a-z, 0-9, _ and -; it never changes"
        />
      )}
      <Field label="Name" name="name" required defaultValue={plan?.name ?? ""} maxLength={100} />
      <Field label="Description" name="description" defaultValue={plan?.description ?? ""} />
      <Field
        label="Currency"
        name="currency"
        required
        defaultValue={currency}
        maxLength={3}
        hint="ISO 4217, like usd"
      />
      <fieldset class="fieldset-row">
        <legend>Prices</legend>
        <Field
          label="Monthly price"
          name="prices.month"
          defaultValue={money(plan?.prices.month.amount)}
        />
        <Field
          label="Yearly price"
          name="prices.year"
          defaultValue={money(plan?.prices.year.amount)}
        />
      </fieldset>
      <Field
        label="Trial days"
        name="trial_days"
        type="number"
        min={0}
        max={365}
        defaultValue={plan?.trial_days ?? 0}
      />
      <fieldset class="fieldset-row">
        <legend>Limits (requests; blank for unlimited)</legend>
        {WINDOWS.map((w) => (
          <Field
            key={w}
            label={`Per ${w}`}
            name={`limits.${w}`}
            defaultValue={plan?.limits[w] == null ? "" : String(plan.limits[w])}
          />
        ))}
      </fieldset>
      <TextArea
        label="Features (JSON)"
        name="features"
        value={JSON.stringify(plan?.features ?? { max_api_keys: 2 }, null, 2)}
        hint='Flags, caps and quotas, like {"max_api_keys": 5, "webhooks": true}'
      />
      <fieldset>
        <legend>Provider price ids (blank: not sold there)</legend>
        {PROVIDER_FIELDS.map(([key, label]) => (
          <Field
            key={key}
            label={label}
            name={`provider_ids.${key}`}
            defaultValue={plan?.provider_ids[key] ?? ""}
          />
        ))}
      </fieldset>
      <Field
        label="Sort order"
        name="sort_order"
        type="number"
        defaultValue={plan?.sort_order ?? 0}
      />
    </Form>
  );
}
