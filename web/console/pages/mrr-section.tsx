// The dashboard's MRR: the chart of the last 30 days or 12 months (a currency at a time), its
// movements beside it, and the table of each movement's total over the range.
import { useMemo, useState } from "preact/hooks";
import { Chart } from "../../shared/chart";
import { formatMoney } from "../../shared/format";
import { useLoad } from "../../shared/load";
import { admin } from "../admin-api";
import { formatCount, Loading } from "../components";
import { TableHead } from "../lists";
import { currenciesOf, movementTotals, mrrChange, mrrChart } from "../mrr";
import type { MrrSeries } from "../types";

export function MrrSection() {
  const [interval, setInterval] = useState<"day" | "month">("day");
  const series = useLoad(() => admin.mrr(interval), [interval]);
  return (
    <section class="card" aria-labelledby="mrr-heading">
      <div class="section-head">
        <h2 id="mrr-heading">MRR over time</h2>
        <fieldset class="segmented">
          <legend class="visually-hidden">Interval</legend>
          {(["day", "month"] as const).map((value) => (
            <label key={value}>
              <input
                type="radio"
                name="mrr-interval"
                value={value}
                checked={interval === value}
                onChange={() => setInterval(value)}
              />
              {value === "day" ? "Last 30 days" : "Last 12 months"}
            </label>
          ))}
        </fieldset>
      </div>
      <Loading state={series}>{(data) => <MrrCharts series={data} />}</Loading>
    </section>
  );
}

function MrrCharts({ series }: { series: MrrSeries }) {
  const currencies = currenciesOf(series);
  const [picked, setPicked] = useState<string | null>(null);
  const currency = picked && currencies.includes(picked) ? picked : currencies[0];
  const chart = useMemo(() => (currency ? mrrChart(series, currency) : null), [series, currency]);
  const format = useMemo(
    () => (v: number) => formatMoney(Math.round(v), currency ?? "usd"),
    [currency],
  );
  if (!currency || !chart) {
    return (
      <p class="muted">
        No revenue snapshots between {series.from} and {series.to} yet: the revenue snapshot job
        writes one a day.
      </p>
    );
  }
  const points = series.series[currency] ?? [];
  const change = mrrChange(points);
  const totals = movementTotals(points);
  return (
    <>
      {currencies.length > 1 ? (
        <div class="field inline-field">
          <label for="mrr-currency">Currency</label>
          <select
            id="mrr-currency"
            value={currency}
            onChange={(e) => setPicked(e.currentTarget.value)}
          >
            {currencies.map((c) => (
              <option key={c} value={c}>
                {c.toUpperCase()}
              </option>
            ))}
          </select>
        </div>
      ) : null}
      <div class="charts">
        <Chart
          title={`MRR (${currency.toUpperCase()})`}
          x={chart.x}
          series={chart.levels}
          formatValue={format}
          summary={change ? <ChangeText change={change} currency={currency} /> : null}
        />
        <Chart
          title="MRR movements"
          x={chart.x}
          series={chart.movements}
          formatValue={format}
          summary={
            <p>Gains above the line, losses below it, and the net of each {series.interval}.</p>
          }
        />
      </div>
      <table class="movements">
        <caption>
          Movements from {series.from} to {series.to}: {formatCount(totals.newSubscribers)}{" "}
          subscribers won, {formatCount(totals.churnedSubscribers)} lost
        </caption>
        <TableHead columns={["Movement", { label: "MRR", num: true }]} />
        <tbody>
          {totals.rows.map((row) => (
            <tr key={row.key} class={row.key === "net_new_mrr" ? "total" : undefined}>
              <th scope="row">{row.label}</th>
              <td class={`num ${row.amount < 0 ? "negative" : ""}`}>
                {row.amount > 0 ? "+" : ""}
                {formatMoney(row.amount, currency)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function ChangeText({
  change,
  currency,
}: {
  change: NonNullable<ReturnType<typeof mrrChange>>;
  currency: string;
}) {
  const at = `${formatMoney(change.last.mrr, currency)} on ${change.last.date}`;
  if (change.first === change.last) return <p>{at}, the only snapshot in this range.</p>;
  const way = change.change >= 0 ? "up" : "down";
  const percent = change.percent === null ? "" : ` (${Math.abs(change.percent)}%)`;
  return (
    <p>
      {at}, {way} {formatMoney(Math.abs(change.change), currency)}
      {percent} since {change.first.date}.
    </p>
  );
}
