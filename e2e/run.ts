// `npm run test:e2e`: starts the Worker once, runs every e2e/*.test.ts against it in a real
// Chromium (node:test, one file at a time), then stops the Worker. The tests read the Worker's
// URL from E2E_BASE_URL, its output (emails included) from E2E_WORKER_LOG and its local D1's
// directory from E2E_PERSIST_DIR; with E2E_BASE_URL already set, that server is used instead
// (the tests that need the log or the database then skip).
// E2E_SCREENSHOTS=1 (npm run screenshots) also writes docs/screenshots/.
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { startWorker } from "./worker.ts";

const here = import.meta.dirname;
const files = readdirSync(here)
  .filter((f) => f.endsWith(".test.ts"))
  .map((f) => join(here, f));

const external = process.env.E2E_BASE_URL;
const worker = external ? null : await startWorker();
const baseUrl = external ?? worker?.url ?? "";
console.log(`e2e: ${files.length} file(s) against ${baseUrl}`);

const code = await new Promise<number>((resolve) => {
  const child = spawn(
    process.execPath,
    ["--test", "--test-concurrency=1", ...process.argv.slice(2), ...files],
    {
      stdio: "inherit",
      env: {
        ...process.env,
        E2E_BASE_URL: baseUrl,
        E2E_WORKER_LOG: worker?.logFile ?? "",
        E2E_PERSIST_DIR: worker?.persistDir ?? "",
      },
    },
  );
  child.once("exit", (status) => resolve(status ?? 1));
});
if (code !== 0 && worker) console.error(`--- wrangler dev output ---\n${worker.log()}`);
await worker?.stop();
process.exit(code);
