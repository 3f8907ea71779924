// Throughput and latency of a bare route versus an authenticated, rate-limited one, and an
// exactness run — for tollgate (`npm run dev`) and, on the same workerd, for hono-rate-limiter
// with its Durable Object store (@hono-rate-limiter/cloudflare), side by side.
//   terminal 1: npm run dev        terminal 2: npm run bench:ratelimit
// While it runs, the local free plan's limits are changed (unlimited for the throughput runs,
// 500 a day for the exactness run) and restored at the end.
import {
  BASE_URL,
  benchIp,
  json,
  load,
  localD1,
  median,
  round,
  startWrangler,
  stop,
  table,
  waitFor,
} from "./lib.mjs";

const SECONDS = Number(process.env.SECONDS ?? 8);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const CONNECTIONS = 20;
const HRL_PORT = 8788;
const HRL = `http://127.0.0.1:${HRL_PORT}`;
const FREE_PLAN_SEED = "limit_minute = 20, limit_hour = 100, limit_day = 1000, limit_month = 20000";

async function freshUser(tag) {
  const email = `bench-${tag}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  const res = await json(
    "POST",
    "/v1/auth/signup",
    { email, password: "bench password 123" },
    {
      "cf-connecting-ip": benchIp(Math.floor(Math.random() * 60000)),
    },
  );
  return res.access_token;
}

function summary(result) {
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: result["2xx"],
    other: result.non2xx,
  };
}

async function throughput(url, headers = {}) {
  return summary(await load({ url, headers, duration: SECONDS, connections: CONNECTIONS }));
}

async function exactness(url, headers = {}) {
  const result = await load({ url, headers, amount: 1000, connections: CONNECTIONS });
  return { admitted: result["2xx"], refused: result.non2xx };
}

function medianOf(runs, key) {
  return median(runs.map((r) => r[key]));
}

async function main() {
  await waitFor(`${BASE_URL}/health`, 10).catch(() => {
    throw new Error(
      `tollgate is not answering at ${BASE_URL}: start it with \`npm run dev\` first`,
    );
  });
  const hrl = await startWrangler(["-c", "bench/hono-rate-limiter/wrangler.toml"], HRL_PORT);
  const runs = { tgBare: [], tgLimited: [], hrlBare: [], hrlLimited: [] };
  let tgExact;
  let hrlExact;
  try {
    localD1(
      "UPDATE plans SET limit_minute = NULL, limit_hour = NULL, limit_day = NULL, limit_month = NULL WHERE code = 'free'",
    );
    const token = await freshUser("throughput");
    const auth = { authorization: `Bearer ${token}` };
    // Warm both up before measuring.
    await throughput(`${BASE_URL}/v1/ping`, auth);
    await throughput(`${HRL}/limited/1000000000`, { "x-bench-key": "warmup" });
    for (let round = 0; round < ROUNDS; round++) {
      runs.tgBare.push(await throughput(`${BASE_URL}/health`));
      runs.tgLimited.push(await throughput(`${BASE_URL}/v1/ping`, auth));
      runs.hrlBare.push(await throughput(`${HRL}/health`));
      runs.hrlLimited.push(
        await throughput(`${HRL}/limited/1000000000`, {
          "x-bench-key": `throughput-${round}-${Date.now()}`,
        }),
      );
      process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`);
    }
    const dayBefore = new Date().toISOString().slice(0, 10);
    localD1(
      "UPDATE plans SET limit_minute = NULL, limit_hour = NULL, limit_day = 500, limit_month = NULL WHERE code = 'free'",
    );
    const exactToken = await freshUser("exact");
    tgExact = await exactness(`${BASE_URL}/v1/ping`, { authorization: `Bearer ${exactToken}` });
    hrlExact = await exactness(`${HRL}/limited/500`, { "x-bench-key": `exact-${Date.now()}` });
    if (new Date().toISOString().slice(0, 10) !== dayBefore) {
      console.warn("warning: the exactness run crossed midnight UTC; run it again");
    }
    const tgLimitedFailures = runs.tgLimited.reduce((n, r) => n + r.other, 0);
    const hrlLimitedFailures = runs.hrlLimited.reduce((n, r) => n + r.other, 0);
    if (tgLimitedFailures || hrlLimitedFailures) {
      console.warn(
        `warning: non-2xx answers in throughput runs: tollgate ${tgLimitedFailures}, hono-rate-limiter ${hrlLimitedFailures}`,
      );
    }
  } finally {
    localD1(`UPDATE plans SET ${FREE_PLAN_SEED} WHERE code = 'free'`);
    stop(hrl);
  }

  const row = (name, bare, limited, exact) => {
    const bareRps = medianOf(bare, "rps");
    const limRps = medianOf(limited, "rps");
    const bareP99 = medianOf(bare, "p99");
    const limP99 = medianOf(limited, "p99");
    return [
      name,
      round(bareRps, 0),
      `${medianOf(bare, "p50")} / ${bareP99}`,
      round(limRps, 0),
      `${medianOf(limited, "p50")} / ${limP99}`,
      round(limRps / bareRps, 2),
      round(limP99 / bareP99, 2),
      `${exact.admitted} of 1000`,
    ];
  };
  const tgBareRps = medianOf(runs.tgBare, "rps");
  const hrlBareRps = medianOf(runs.hrlBare, "rps");
  const tgLimitedRps = medianOf(runs.tgLimited, "rps");
  const hrlLimitedRps = medianOf(runs.hrlLimited, "rps");
  const side = [
    ["side by side (same run)", "ratio", "target"],
    [
      "tollgate GET /health ÷ bare Hono GET /health (req/s)",
      round(tgBareRps / hrlBareRps, 2),
      "≥ 0.8",
    ],
    [
      "tollgate GET /v1/ping ÷ hono-rate-limiter route (req/s)",
      round(tgLimitedRps / hrlLimitedRps, 2),
      "≥ 0.85",
    ],
    [
      "p99 of /v1/ping ÷ p99 of hono-rate-limiter route",
      round(medianOf(runs.tgLimited, "p99") / medianOf(runs.hrlLimited, "p99"), 2),
      "≤ 1.3",
    ],
  ];
  console.log(
    `\n${CONNECTIONS} connections, ${SECONDS} s per run, median of ${ROUNDS} rounds; exactness: 1,000 requests, 20 concurrent, limit 500\n`,
  );
  console.log(
    table([
      [
        "",
        "bare req/s",
        "bare p50/p99 ms",
        "limited req/s",
        "limited p50/p99 ms",
        "throughput ratio",
        "p99 ratio",
        "admitted (limit 500)",
      ],
      row("tollgate RateLimiter DO", runs.tgBare, runs.tgLimited, tgExact),
      row("hono-rate-limiter + DO store", runs.hrlBare, runs.hrlLimited, hrlExact),
    ]),
  );
  console.log(`\n${table(side)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
