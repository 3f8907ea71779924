// Password hash time inside workerd, and login / refresh latency against `npm run dev`.
//   terminal 1: npm run dev        terminal 2: npm run bench:auth
import {
  BASE_URL,
  benchIp,
  json,
  median,
  percentile,
  round,
  startWrangler,
  stop,
  table,
  waitFor,
} from "./lib.mjs";

const SAMPLES = Number(process.env.SAMPLES ?? 100);

async function hashTimes() {
  const worker = await startWrangler(["-c", "bench/hash-worker/wrangler.toml"], 8790);
  try {
    // A first call warms the isolate up; the second is measured.
    await fetch("http://127.0.0.1:8790/?n=2");
    const res = await fetch("http://127.0.0.1:8790/?n=30");
    return await res.json();
  } finally {
    stop(worker);
  }
}

async function timed(fn) {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

async function main() {
  await waitFor(`${BASE_URL}/health`, 10).catch(() => {
    throw new Error(
      `tollgate is not answering at ${BASE_URL}: start it with \`npm run dev\` first`,
    );
  });
  const hashing = await hashTimes();

  const email = `bench-${Date.now()}@example.com`;
  const password = "bench password 123";
  let ip = 0;
  // Each request from its own benchmarking-range IP: the per-IP limit is not what is measured.
  const from = () => ({ "cf-connecting-ip": benchIp(ip++) });
  const signup = await json("POST", "/v1/auth/signup", { email, password }, from());

  const login = [];
  for (let i = 0; i < SAMPLES; i++) {
    login.push(await timed(() => json("POST", "/v1/auth/login", { email, password }, from())));
  }
  const refresh = [];
  let token = signup.refresh_token;
  for (let i = 0; i < SAMPLES; i++) {
    refresh.push(
      await timed(async () => {
        token = (await json("POST", "/v1/auth/refresh", { refresh_token: token }, from()))
          .refresh_token;
      }),
    );
  }

  const rows = [
    ["measure", "samples", "median ms", "p99 ms"],
    [
      `PBKDF2-SHA256 hash (${hashing.iterations} it.), in workerd`,
      hashing.hash_ms.length,
      round(median(hashing.hash_ms)),
      round(percentile(hashing.hash_ms, 99)),
    ],
    [
      "password verify, in workerd",
      hashing.verify_ms.length,
      round(median(hashing.verify_ms)),
      round(percentile(hashing.verify_ms, 99)),
    ],
    [
      "POST /v1/auth/login (client-side)",
      login.length,
      round(median(login)),
      round(percentile(login, 99)),
    ],
    [
      "POST /v1/auth/refresh (client-side)",
      refresh.length,
      round(median(refresh)),
      round(percentile(refresh, 99)),
    ],
  ];
  console.log(table(rows));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
