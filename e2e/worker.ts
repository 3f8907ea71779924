// Starts the Worker for the browser tests: `wrangler dev` on free ports, with the local D1
// migrated into a fresh temporary persistence directory (so every run starts empty), the
// development secrets of .dev.vars.example, and APP_URL pointing at itself (email links).
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RunningWorker {
  url: string;
  /** Everything the dev server printed (emails are logged with their links). */
  log: () => string;
  /** The file the output is also written to, for the tests to read emails from. */
  logFile: string;
  /** The local persistence directory (its D1 is what the Worker reads). */
  persistDir: string;
  stop: () => Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address
          ? resolve(address.port)
          : reject(new Error("no port")),
      );
    });
  });
}

const WRANGLER_ENV = { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" };

export async function startWorker(): Promise<RunningWorker> {
  const persist = mkdtempSync(join(tmpdir(), "tollgate-e2e-"));
  execFileSync(
    "npx",
    ["wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", persist],
    { stdio: "ignore", env: WRANGLER_ENV },
  );
  const [port, inspector] = [await freePort(), await freePort()];
  const url = `http://localhost:${port}`;
  const child: ChildProcess = spawn(
    "npx",
    [
      "wrangler",
      "dev",
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--inspector-port",
      String(inspector),
      "--persist-to",
      persist,
      "--env-file",
      ".dev.vars.example",
      "--var",
      `APP_URL:${url}`,
      "--var",
      "REQUEST_LOGS:off",
      // Every test's browser shares one client address: the per-IP limits of anonymous routes
      // (sign-in, refresh, plans) are tested in vitest, not here.
      "--var",
      "ANON_LIMIT_PER_MINUTE:100000",
      "--var",
      "ANON_LIMIT_PER_HOUR:100000",
      "--var",
      "ANON_LIMIT_PER_DAY:100000",
      "--show-interactive-dev-session=false",
      "--live-reload=false",
    ],
    { env: WRANGLER_ENV, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  let output = "";
  const logFile = join(persist, "wrangler-dev.log");
  const record = (chunk: Buffer) => {
    output += chunk.toString();
    appendFileSync(logFile, chunk);
  };
  child.stdout?.on("data", record);
  child.stderr?.on("data", record);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const stop = async () => {
    if (child.exitCode === null && child.pid !== undefined) {
      // wrangler starts workerd as its child: end the whole process group it leads.
      process.kill(-child.pid, "SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) process.kill(-child.pid, "SIGKILL");
    }
    rmSync(persist, { recursive: true, force: true });
  };

  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) return { url, log: () => output, logFile, persistDir: persist, stop };
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new Error(`wrangler dev did not start:\n${output}`);
}
