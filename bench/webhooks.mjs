// 2,000 signed Stripe events, 30% of them duplicates, against `npm run dev`: every distinct
// event must be applied exactly once. Prints accepted events per second, receive latency
// (median, p99) and the seconds until the queue has drained.
//   terminal 1: npm run dev        terminal 2: npm run bench:webhooks
import Stripe from "stripe";
import {
  BASE_URL,
  localD1,
  localD1Rows,
  median,
  percentile,
  round,
  table,
  waitFor,
} from "./lib.mjs";

const TOTAL = Number(process.env.EVENTS ?? 2000);
const DUPLICATE_SHARE = 0.3;
const CONCURRENCY = 20;
const SECRET = process.env.STRIPE_WEBHOOK_SECRET ?? "whsec_local_development_only";

const run = Date.now().toString(36);
const userId = `usr_bench${run}`.slice(0, 30);
const subscriptionId = `sub_bench${run}`;
const providerSubscription = `sub_stripe_bench_${run}`;

function invoiceEvent(i) {
  const created = Math.floor(Date.now() / 1000);
  return JSON.stringify({
    id: `evt_bench_${run}_${i}`,
    object: "event",
    type: "invoice.paid",
    created,
    data: {
      object: {
        id: `in_bench_${run}_${i}`,
        object: "invoice",
        customer: `cus_bench_${run}`,
        subscription: providerSubscription,
        charge: `ch_bench_${run}_${i}`,
        amount_paid: 2900,
        currency: "usd",
        period_start: created,
        period_end: created + 30 * 86400,
        hosted_invoice_url: null,
        lines: { data: [] },
      },
    },
  });
}

async function main() {
  await waitFor(`${BASE_URL}/health`, 10).catch(() => {
    throw new Error(
      `tollgate is not answering at ${BASE_URL}: start it with \`npm run dev\` first`,
    );
  });
  const now = Date.now();
  localD1(
    `INSERT INTO users (id, email, role, status, password_hash, settings, created_at, updated_at) VALUES ('${userId}', '${userId}@bench.invalid', 'user', 'active', 'x', '{}', ${now}, ${now});
     INSERT INTO subscriptions (id, user_id, plan_id, interval, status, provider, provider_subscription_id, created_at, updated_at) VALUES ('${subscriptionId}', '${userId}', 'pln_pro', 'month', 'active', 'stripe', '${providerSubscription}', ${now}, ${now});`,
  );

  // 70% distinct events; the rest repeat one of them (as Stripe retries would).
  const distinct = Math.round(TOTAL * (1 - DUPLICATE_SHARE));
  const deliveries = [];
  for (let i = 0; i < TOTAL; i++)
    deliveries.push(i < distinct ? i : Math.floor(Math.random() * distinct));
  deliveries.sort(() => Math.random() - 0.5);
  const payloads = new Map();
  const latencies = [];
  let accepted = 0;
  let refused = 0;
  let next = 0;
  const started = performance.now();
  async function worker() {
    while (next < deliveries.length) {
      const n = deliveries[next++];
      if (!payloads.has(n)) payloads.set(n, invoiceEvent(n));
      const payload = payloads.get(n);
      const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET });
      const t0 = performance.now();
      const res = await fetch(`${BASE_URL}/v1/webhooks/stripe`, {
        method: "POST",
        headers: { "content-type": "application/json", "stripe-signature": signature },
        body: payload,
      });
      await res.text();
      latencies.push(performance.now() - t0);
      if (res.status === 200) accepted++;
      else refused++;
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const sendSeconds = (performance.now() - started) / 1000;

  // Drained: every distinct event of this run is stored (the consumer stores what the queue
  // carries) and none is left `pending`.
  const like = `evt_bench_${run}_%`;
  let waiting = Number.POSITIVE_INFINITY;
  while (waiting > 0) {
    const [row] = localD1Rows(
      `SELECT count(*) AS n, coalesce(sum(status = 'pending'), 0) AS pending FROM webhook_events WHERE provider_event_id LIKE '${like}'`,
    );
    waiting = distinct - (row?.n ?? 0) + (row?.pending ?? 0);
    if ((performance.now() - started) / 1000 > 600)
      throw new Error(`${waiting} events not stored or still pending after 10 min`);
  }
  const drainSeconds = (performance.now() - started) / 1000;

  const [stored] = localD1Rows(
    `SELECT count(*) AS n, sum(status = 'processed') AS processed FROM webhook_events WHERE provider_event_id LIKE '${like}'`,
  );
  const [paid] = localD1Rows(
    `SELECT count(*) AS n, count(DISTINCT provider_payment_id) AS d FROM payments WHERE user_id = '${userId}'`,
  );
  const exact =
    stored.n === distinct &&
    stored.processed === distinct &&
    paid.n === distinct &&
    paid.d === distinct;

  console.log(
    `\n${TOTAL} signed Stripe invoice.paid deliveries (${distinct} distinct, ${TOTAL - distinct} duplicates), ${CONCURRENCY} concurrent\n`,
  );
  console.log(
    table([
      [
        "accepted (200)",
        "refused",
        "events/s accepted",
        "receive p50 ms",
        "receive p99 ms",
        "queue drained after s",
        "stored / processed / payments",
        "exactly once",
      ],
      [
        accepted,
        refused,
        round(accepted / sendSeconds, 0),
        round(median(latencies)),
        round(percentile(latencies, 99)),
        round(drainSeconds, 1),
        `${stored.n} / ${stored.processed} / ${paid.n}`,
        exact ? "yes" : "NO",
      ],
    ]),
  );
  if (!exact) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
