// Shared pieces of the benchmarks: starting a worker under `wrangler dev`, load runs with
// autocannon, percentiles, and statements against the local D1 of `npm run dev`.
import { execFileSync, spawn } from "node:child_process";
import autocannon from "autocannon";

export const BASE_URL = process.env.BASE_URL ?? "http://localhost:8787";

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)];
}

export const round = (n, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

export async function waitFor(url, seconds = 60) {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer within ${seconds} s`);
}

/** Starts `wrangler dev` with the given arguments on a port; resolves once it answers. */
export async function startWrangler(args, port, healthPath = "/health") {
  const child = spawn(
    "npx",
    ["wrangler", "dev", ...args, "--port", String(port), "--ip", "127.0.0.1"],
    {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, CI: "true" },
      detached: true,
    },
  );
  let output = "";
  child.stdout.on("data", (d) => {
    output += d;
  });
  child.stderr.on("data", (d) => {
    output += d;
  });
  try {
    await waitFor(`http://127.0.0.1:${port}${healthPath}`, 90);
  } catch (error) {
    stop(child);
    throw new Error(`${error.message}\n${output.slice(-2000)}`);
  }
  return child;
}

export function stop(child) {
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {}
}

/** Runs SQL against the local D1 database that `npm run dev` uses. */
export function localD1(sql) {
  execFileSync("npx", ["wrangler", "d1", "execute", "DB", "--local", "--command", sql], {
    stdio: "ignore",
    env: { ...process.env, CI: "true" },
  });
}

/** Runs a query against the local D1 and returns its rows. */
export function localD1Rows(sql) {
  const out = execFileSync(
    "npx",
    ["wrangler", "d1", "execute", "DB", "--local", "--json", "--command", sql],
    {
      env: { ...process.env, CI: "true" },
      encoding: "utf8",
    },
  );
  return JSON.parse(out)[0]?.results ?? [];
}

/** A load run: either for `duration` seconds or for `amount` requests in total. */
export function load(options) {
  return new Promise((resolve, reject) => {
    autocannon({ connections: 20, ...options }, (error, result) =>
      error ? reject(error) : resolve(result),
    );
  });
}

export async function json(method, path, body, headers = {}) {
  const res = await fetch(`${BASE_URL}${path}`, {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** A client IP from the benchmarking range (RFC 2544), so runs do not share per-IP limits. */
export function benchIp(i) {
  return `198.18.${Math.floor(i / 250) % 250}.${(i % 250) + 1}`;
}

export function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  const line = (r) => `| ${r.map((cell, c) => String(cell).padEnd(widths[c])).join(" | ")} |`;
  return [
    line(rows[0]),
    `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...rows.slice(1).map(line),
  ].join("\n");
}
