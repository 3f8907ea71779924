// Coupons: the list (active or not), create, edit, and deactivate (a coupon's archive: nobody
// can redeem it any more; it can be activated again). A redeemed coupon's discount is fixed.
import { useState } from "preact/hooks";
import { currencyExponent, minorToDecimal } from "../../../src/lib/currency";
import { formatDate, formatMoney } from "../../shared/format";
import { CheckboxField, Field, Form, SelectField } from "../../shared/forms";
import { useLoad } from "../../shared/load";
import { Link, navigate, useRoute } from "../../shared/router";
import { admin, cachedPlans } from "../admin-api";
import { TONES } from "../colours";
import { ConfirmDialog, Loading, Notice, readingInput, Tag } from "../components";
import { couponBody, isoToLocal } from "../inputs";
import { ACTIONS, FilterForm, PagedList, TableHead } from "../lists";
import { COUPON_FILTERS, type FilterValues, hasFilters, queryString, readFilters } from "../query";
import type { Coupon, Plan } from "../types";

type Filters = FilterValues<typeof COUPON_FILTERS>;

export function discountText(c: Coupon): string {
  const off =
    c.percent_off !== null
      ? `${c.percent_off}% off`
      : `${formatMoney(c.amount_off ?? 0, c.currency ?? "usd")} off`;
  const duration =
    c.duration === "repeating"
      ? `for ${c.duration_months} months`
      : c.duration === "once"
        ? "once"
        : "forever";
  return `${off}, ${duration}`;
}

export function CouponsPage() {
  useRoute();
  const filters = readFilters(COUPON_FILTERS, location.search);
  return (
    <>
      <div class="section-head">
        <h1>Coupons</h1>
        <Link to="/coupons/new" class="button primary">
          New coupon
        </Link>
      </div>
      <FilterForm
        path="/coupons"
        label="Filter coupons"
        values={filters}
        fields={[{ name: "active", label: "Active", options: COUPON_FILTERS.active }]}
      />
      <CouponList key={queryString(filters)} filters={filters} />
    </>
  );
}

function CouponList({ filters }: { filters: Filters }) {
  const [deactivating, setDeactivating] = useState<{
    coupon: Coupon;
    reload: () => Promise<void>;
  } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  async function setActive(coupon: Coupon, active: boolean, reload: () => Promise<void>) {
    await admin.updateCoupon(coupon.id, { active });
    setNotice(`${coupon.code} ${active ? "activated" : "deactivated"}.`);
    await reload();
  }
  return (
    <>
      <Notice text={notice} />
      <PagedList
        load={(page) => admin.coupons(filters, page)}
        label="Coupons"
        empty={`No coupons${hasFilters(filters) ? " match these filters" : " yet"}.`}
      >
        {(coupons, reload) => (
          <table>
            <TableHead
              columns={[
                "Code",
                "Discount",
                { label: "Redeemed", num: true },
                "Expires",
                "State",
                ACTIONS,
              ]}
            />
            <tbody>
              {coupons.map((c) => (
                <tr key={c.id}>
                  <th scope="row">
                    <code>{c.code}</code>
                    {c.name ? <span class="sub muted">{c.name}</span> : null}
                  </th>
                  <td>
                    {discountText(c)}
                    <span class="sub muted">
                      {c.plan_ids ? `plans: ${c.plan_ids.join(", ")}` : "any plan"}
                    </span>
                  </td>
                  <td class="num">
                    {c.times_redeemed}
                    {c.max_redemptions === null ? "" : ` of ${c.max_redemptions}`}
                  </td>
                  <td>{c.expires_at ? formatDate(c.expires_at) : "never"}</td>
                  <td>
                    <Tag tone={c.active ? TONES.green : TONES.grey}>
                      {c.active ? "Active" : "Inactive"}
                    </Tag>
                  </td>
                  <td class="row-actions">
                    <Link to={`/coupons/${c.id}`} class="button">
                      Edit<span class="visually-hidden"> {c.code}</span>
                    </Link>
                    {c.active ? (
                      <button type="button" onClick={() => setDeactivating({ coupon: c, reload })}>
                        Deactivate…<span class="visually-hidden"> {c.code}</span>
                      </button>
                    ) : (
                      <button type="button" onClick={() => void setActive(c, true, reload)}>
                        Activate<span class="visually-hidden"> {c.code}</span>
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </PagedList>
      {deactivating ? (
        <ConfirmDialog
          title={`Deactivate ${deactivating.coupon.code}`}
          confirm="Deactivate"
          danger
          onClose={() => setDeactivating(null)}
          onConfirm={() => setActive(deactivating.coupon, false, deactivating.reload)}
        >
          <p>Nobody can redeem it from now on; subscriptions that already have it keep it.</p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}

export function CouponFormPage({ id }: { id: string | null }) {
  const data = useLoad(async () => {
    const plans = await cachedPlans();
    if (!id) return { coupon: null, plans };
    return { coupon: await admin.coupon(id), plans };
  }, [id]);
  return (
    <>
      <p class="crumbs">
        <Link to="/coupons">Coupons</Link>
      </p>
      <h1>{id ? `Edit ${data.data?.coupon?.code ?? "coupon"}` : "New coupon"}</h1>
      <Loading state={data}>
        {({ coupon, plans }) =>
          id && !coupon ? <p>Coupon not found.</p> : <CouponForm coupon={coupon} plans={plans} />
        }
      </Loading>
    </>
  );
}

function CouponForm({ coupon, plans }: { coupon: Coupon | null; plans: Plan[] }) {
  const locked = coupon !== null && coupon.times_redeemed > 0;
  const [kind, setKind] = useState(coupon?.amount_off != null ? "amount" : "percent");
  const [duration, setDuration] = useState<string>(coupon?.duration ?? "once");
  return (
    <Form
      label={coupon ? `Edit ${coupon.code}` : "New coupon"}
      submit={coupon ? "Save coupon" : "Create coupon"}
      onSubmit={readingInput(async (values, form) => {
        const planIds = new FormData(form).getAll("plan_ids").map(String);
        const body = couponBody(
          values,
          planIds,
          currencyExponent,
          coupon ? "edit" : "create",
          locked,
        );
        if (coupon) await admin.updateCoupon(coupon.id, body);
        else await admin.createCoupon(body);
        navigate("/coupons");
      })}
    >
      {coupon ? null : (
        <Field label="Code" name="code" required hint="3 to 40 of A-Z, 0-9, _ and -" />
      )}
      <Field label="Name (optional)" name="name" defaultValue={coupon?.name ?? ""} />
      {locked ? (
        <p class="alert alert-info">
          Redeemed {coupon?.times_redeemed} times: the discount (
          {coupon ? discountText(coupon) : ""}) can no longer change.
        </p>
      ) : (
        <fieldset>
          <legend>Discount</legend>
          <SelectField
            label="Kind"
            name="kind"
            value={kind}
            onChange={(e) => setKind(e.currentTarget.value)}
            options={[
              { value: "percent", label: "A percentage" },
              { value: "amount", label: "An amount" },
            ]}
          />
          {kind === "percent" ? (
            <Field
              label="Percent off"
              name="percent_off"
              type="number"
              min={1}
              max={100}
              defaultValue={coupon?.percent_off ?? ""}
            />
          ) : (
            <>
              <Field
                label="Amount off"
                name="amount_off"
                defaultValue={
                  coupon?.amount_off != null
                    ? minorToDecimal(coupon.amount_off, coupon.currency ?? "usd")
                    : ""
                }
              />
              <Field
                label="Currency"
                name="currency"
                maxLength={3}
                defaultValue={coupon?.currency ?? "usd"}
              />
            </>
          )}
          <SelectField
            label="Duration"
            name="duration"
            value={duration}
            onChange={(e) => setDuration(e.currentTarget.value)}
            options={[
              { value: "once", label: "The first invoice" },
              { value: "repeating", label: "Some months" },
              { value: "forever", label: "Every invoice" },
            ]}
          />
          {duration === "repeating" ? (
            <Field
              label="Months"
              name="duration_months"
              type="number"
              min={1}
              max={36}
              defaultValue={coupon?.duration_months ?? ""}
            />
          ) : null}
        </fieldset>
      )}
      <Field
        label="Expires (optional)"
        name="expires_at"
        type="datetime-local"
        defaultValue={isoToLocal(coupon?.expires_at ?? null)}
      />
      <Field
        label="Most redemptions (optional)"
        name="max_redemptions"
        type="number"
        min={1}
        defaultValue={coupon?.max_redemptions ?? ""}
      />
      <fieldset>
        <legend>Plans (none checked: any plan)</legend>
        {plans.map((p) => (
          <CheckboxField
            key={p.id}
            label={`${p.name} (${p.code})`}
            name="plan_ids"
            value={p.id}
            defaultChecked={coupon?.plan_ids?.includes(p.id) ?? false}
          />
        ))}
      </fieldset>
      <CheckboxField label="Active" name="active" defaultChecked={coupon?.active ?? true} />
    </Form>
  );
}
