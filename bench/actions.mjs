// Priced actions against `npm run dev`:
//   1. exactness: RUNS concurrent runs of a priced action on a wallet holding FEES fees; exactly
//      FEES must succeed (and call the upstream), the balance must end at 0 with nothing held,
//      and the ledger's settled entries must sum to the balance;
//   2. latency: a priced proxied call (GET /api/…, forwarded to a local upstream) against a plain
//      limited one (GET /v1/ping), sequential, interleaved, and the upstream on its own.
//   terminal 1: npm run dev        terminal 2: npm run bench:actions
// The bench starts its upstream stand-in (a Node HTTP server on 127.0.0.1:UPSTREAM_PORT), makes
// an admin (a bench account promoted in the local D1), lifts the free plan's limits while it
// runs (restored at the end, as bench:ratelimit does) and deletes the actions it created.
import { createServer } from "node:http";
import { BASE_URL, benchIp, json, localD1, percentile, round, table, waitFor } from "./lib.mjs";

const RUNS = Number(process.env.RUNS ?? 200);
const FEES = Number(process.env.FEES ?? 37);
const FEE = 10;
const SAMPLES = Number(process.env.SAMPLES ?? 500);
const UPSTREAM_PORT = Number(process.env.UPSTREAM_PORT ?? 8791);
const UPSTREAM = `http://127.0.0.1:${UPSTREAM_PORT}`;
const FREE_PLAN_SEED = "limit_minute = 20, limit_hour = 100, limit_day = 1000, limit_month = 20000";
const PASSWORD = "bench password 123";

/** The upstream stand-in: a run's webhook (POST /hook) and a quotes API (GET /px/…). */
function startUpstream() {
  const calls = { hook: 0, px: 0 };
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      if (req.url?.startsWith("/hook")) calls.hook++;
      else calls.px++;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: true, price: 42, received: body.length }));
    });
  });
  return new Promise((resolve) => {
    server.listen(UPSTREAM_PORT, "127.0.0.1", () => resolve({ server, calls }));
  });
}

async function signupUser(tag) {
  const email = `bench-actions-${tag}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  const res = await json(
    "POST",
    "/v1/auth/signup",
    { email, password: PASSWORD },
    { "cf-connecting-ip": benchIp(Math.floor(Math.random() * 60000)) },
  );
  return { id: res.user.id, email, token: res.access_token };
}

async function makeAdmin() {
  const user = await signupUser("admin");
  localD1(`UPDATE users SET role = 'admin' WHERE id = '${user.id}'`);
  const login = () =>
    json(
      "POST",
      "/v1/auth/login",
      { email: user.email, password: PASSWORD },
      { "cf-connecting-ip": benchIp(Math.floor(Math.random() * 60000)) },
    );
  // The dev server may have closed the idle keep-alive connection while wrangler ran the SQL.
  const answer = await login().catch(login);
  return { ...user, token: answer.access_token };
}

const bearer = (token) => ({ authorization: `Bearer ${token}` });

async function timed(url, headers) {
  const started = performance.now();
  const res = await fetch(url, { headers });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`${url} → ${res.status}`);
  return performance.now() - started;
}

async function allTransactions(token) {
  const entries = [];
  let cursor = null;
  do {
    const page = await json(
      "GET",
      `/v1/wallet/transactions?limit=100${cursor ? `&cursor=${cursor}` : ""}`,
      undefined,
      bearer(token),
    );
    entries.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor);
  return entries;
}

async function settled(token, deadlineMs = 60_000) {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const wallet = await json("GET", "/v1/wallet", undefined, bearer(token));
    const usd = wallet.balances.find((b) => b.currency === "usd") ?? { available: 0, held: 0 };
    if (usd.held === 0 || Date.now() > deadline) return usd;
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function exactness(admin, upstream) {
  const action = await json(
    "POST",
    "/v1/admin/actions",
    {
      slug: `bench-run-${Date.now()}`,
      name: "Bench run",
      kind: "run",
      upstream_url: `${UPSTREAM}/hook`,
      price: { amount: FEE, currency: "usd" },
      rate_limit: { limit: 100_000, window: "minute" },
    },
    bearer(admin.token),
  );
  const payer = await signupUser("payer");
  await json(
    "POST",
    `/v1/admin/users/${payer.id}/wallet/adjustments`,
    { amount: FEES * FEE, currency: "usd", reason: "bench:actions" },
    bearer(admin.token),
  );
  const before = upstream.calls.hook;
  const started = performance.now();
  const statuses = await Promise.all(
    Array.from({ length: RUNS }, (_, i) =>
      fetch(`${BASE_URL}/v1/actions/${action.slug}/runs`, {
        method: "POST",
        headers: { ...bearer(payer.token), "content-type": "application/json" },
        body: JSON.stringify({ input: { i } }),
      }).then(async (res) => {
        await res.arrayBuffer();
        return res.status;
      }),
    ),
  );
  const wall = performance.now() - started;
  const balance = await settled(payer.token);
  const ledger = await allTransactions(payer.token);
  const settledTypes = new Set(["top_up", "auto_recharge", "capture", "refund", "adjustment"]);
  const ledgerSum = ledger
    .filter((e) => e.currency === "usd" && settledTypes.has(e.type))
    .reduce((sum, e) => sum + e.amount, 0);
  const count = (s) => statuses.filter((x) => x === s).length;
  await json("DELETE", `/v1/admin/actions/${action.id}`, undefined, bearer(admin.token)).catch(
    () => {},
  );
  return {
    ok: count(200),
    refused: count(402),
    other: RUNS - count(200) - count(402),
    upstreamCalls: upstream.calls.hook - before,
    captures: ledger.filter((e) => e.type === "capture").length,
    holds: ledger.filter((e) => e.type === "hold").length,
    releases: ledger.filter((e) => e.type === "release").length,
    balance,
    ledgerSum,
    wall,
  };
}

/** A proxy action under a fresh prefix, forwarding to the stand-in's /px; null price: free. */
async function proxyAction(admin, price) {
  const stamp = `${Date.now()}-${Math.random().toString(36).slice(2, 6)}`;
  return json(
    "POST",
    "/v1/admin/actions",
    {
      slug: `bench-proxy-${stamp}`,
      name: "Bench quotes",
      kind: "proxy",
      path_prefix: `/api/bench-${stamp}`,
      upstream_url: `${UPSTREAM}/px`,
      price,
      rate_limit: { limit: 1_000_000, window: "minute" },
    },
    bearer(admin.token),
  );
}

async function latency(admin) {
  const priced = await proxyAction(admin, { amount: 1, currency: "usd" });
  const free = await proxyAction(admin, null);
  const caller = await signupUser("latency");
  await json(
    "POST",
    `/v1/admin/users/${caller.id}/wallet/adjustments`,
    { amount: 10 * SAMPLES + 1000, currency: "usd", reason: "bench:actions" },
    bearer(admin.token),
  );
  const headers = bearer(caller.token);
  const targets = {
    ping: `${BASE_URL}/v1/ping`,
    "proxy, free": `${BASE_URL}${free.path_prefix}/quote?symbol=AAPL`,
    "proxy, priced": `${BASE_URL}${priced.path_prefix}/quote?symbol=AAPL`,
    upstream: `${UPSTREAM}/px/quote?symbol=AAPL`,
  };
  const samples = Object.fromEntries(Object.keys(targets).map((name) => [name, []]));
  for (let i = 0; i < 30; i++) {
    for (const url of Object.values(targets)) await timed(url, headers);
  }
  for (let i = 0; i < SAMPLES; i++) {
    for (const [name, url] of Object.entries(targets))
      samples[name].push(await timed(url, headers));
  }
  for (const action of [priced, free]) {
    await json("DELETE", `/v1/admin/actions/${action.id}`, undefined, bearer(admin.token)).catch(
      () => {},
    );
  }
  return samples;
}

async function main() {
  await waitFor(`${BASE_URL}/health`, 10).catch(() => {
    throw new Error(
      `tollgate is not answering at ${BASE_URL}: start it with \`npm run dev\` first`,
    );
  });
  const upstream = await startUpstream();
  let exact;
  let samples;
  try {
    localD1(
      "UPDATE plans SET limit_minute = NULL, limit_hour = NULL, limit_day = NULL, limit_month = NULL WHERE code = 'free'",
    );
    const admin = await makeAdmin();
    exact = await exactness(admin, upstream);
    samples = await latency(admin);
  } finally {
    localD1(`UPDATE plans SET ${FREE_PLAN_SEED} WHERE code = 'free'`);
    upstream.server.close();
  }

  console.log(
    `\n${RUNS} concurrent runs, a wallet holding ${FEES} fees of ${FEE} (usd minor units)\n`,
  );
  console.log(
    table([
      [
        "runs",
        "200 (charged)",
        "402",
        "other",
        "upstream calls",
        "holds / captures / releases",
        "balance after (available / held)",
        "ledger sum",
        "wall ms",
      ],
      [
        RUNS,
        exact.ok,
        exact.refused,
        exact.other,
        exact.upstreamCalls,
        `${exact.holds} / ${exact.captures} / ${exact.releases}`,
        `${exact.balance.available} / ${exact.balance.held}`,
        exact.ledgerSum,
        round(exact.wall, 0),
      ],
    ]),
  );
  const exactOk =
    exact.ok === FEES &&
    exact.upstreamCalls === FEES &&
    exact.captures === FEES &&
    exact.balance.available === 0 &&
    exact.balance.held === 0 &&
    exact.ledgerSum === 0;
  console.log(`exact: ${exactOk ? "yes" : "NO"}`);

  const p = (name, q) => percentile(samples[name], q);
  const stat = (name) => [name, samples[name].length, round(p(name, 50), 2), round(p(name, 99), 2)];
  const added = (label, over, base) => [
    label,
    "",
    round(p(over, 50) - p(base, 50), 2),
    round(p(over, 99) - p(base, 99), 2),
  ];
  console.log(`\n${SAMPLES} sequential requests each, interleaved, after 30 warm-up rounds\n`);
  console.log(
    table([
      ["call", "samples", "p50 ms", "p99 ms"],
      stat("ping"),
      stat("proxy, free"),
      stat("proxy, priced"),
      stat("upstream"),
      added("added by a priced proxied call over ping", "proxy, priced", "ping"),
      added("of which the price (priced − free proxy)", "proxy, priced", "proxy, free"),
    ]),
  );
  if (!exactOk) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
