// The API description, checked without a dev server: wrangler's test harness runs the Worker
// in workerd locally (the same bundle, static assets and bindings as `wrangler dev`, nothing
// remote), and this asks it for the document.
//
//   node scripts/openapi.mjs            `npm run lint:openapi`: writes dist/openapi.json (for SDK
//                                       generators), lints it with Spectral (.spectral.yaml;
//                                       any error or warning fails), and checks that /docs and
//                                       every file it loads are served by the deployment itself
//   node scripts/openapi.mjs --readme   `npm run readme:routes`: rewrites the routes table in
//                                       README.md from the document (test/openapi.test.ts
//                                       fails when the table misses a route)
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// No look-up of Cloudflare's request.cf data over the network: the placeholder will do.
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";
const { createTestHarness } = await import("wrangler");

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const METHODS = ["get", "put", "post", "patch", "delete", "head", "options", "trace"];

function fail(message) {
  console.error(`openapi: ${message}`);
  process.exitCode = 1;
}

/** GET /openapi.json and the /docs page with what it loads, from the Worker run locally. */
async function fetchFromWorker() {
  const server = createTestHarness({
    root,
    workers: [
      {
        configPath: "./wrangler.toml",
        vars: {
          APP_ENV: "development",
          EMAIL_PROVIDER: "log",
          REQUEST_LOGS: "off",
        },
        // Placeholders: every request checks the configuration, and these are required.
        secrets: {
          JWT_SIGNING_KEYS: "lint:openapi-lint-placeholder-signing-key-0123456789",
          API_KEY_SECRET: "openapi-lint-placeholder-api-key-secret-0123456789",
        },
      },
    ],
  });
  try {
    await server.listen();
    const res = await server.fetch("/openapi.json");
    if (res.status !== 200) throw new Error(`GET /openapi.json answered ${res.status}`);
    const document = await res.text();
    const docs = [];
    const page = await server.fetch("/docs");
    const html = await page.text();
    docs.push({ path: "/docs", status: page.status, type: page.headers.get("content-type") });
    const csp = page.headers.get("content-security-policy") ?? "";
    for (const [, url] of html.matchAll(/\b(?:src|href)="([^"]*)"/g)) {
      const asset = await server.fetch(url);
      await asset.arrayBuffer();
      docs.push({ path: url, status: asset.status, type: asset.headers.get("content-type") });
    }
    return { document, docs, csp };
  } finally {
    await server.close();
  }
}

function lint(document) {
  const file = join(root, "dist", "openapi.json");
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, document);
  const cli = join(
    dirname(createRequire(import.meta.url).resolve("@stoplight/spectral-cli/package.json")),
    "dist",
    "index.js",
  );
  const result = spawnSync(
    process.execPath,
    [cli, "lint", file, "--ruleset", join(root, ".spectral.yaml"), "--fail-severity", "warn"],
    { stdio: "inherit", cwd: root },
  );
  if (result.status !== 0) fail("Spectral found problems in dist/openapi.json (above)");
}

function checkDocs({ docs, csp }) {
  if (!/^default-src 'self'(;|$)/.test(csp)) fail(`/docs has no 'self'-only CSP: ${csp}`);
  for (const { path, status, type } of docs) {
    if (!path.startsWith("/") || path.startsWith("//")) fail(`/docs loads ${path} from elsewhere`);
    else if (status !== 200) fail(`GET ${path} (for /docs) answered ${status}`);
    else console.log(`openapi: GET ${path} 200 ${type}`);
  }
}

const escapeCell = (text) => String(text ?? "").replaceAll("|", "\\|");

/** The README's routes table: one row per operation, grouped by tag in the document's order. */
function routesTable(doc) {
  const order = (doc.tags ?? []).map((t) => t.name);
  const rows = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      rows.push({ tag: op.tags?.[0] ?? "", method, path, op });
    }
  }
  rows.sort((a, b) => order.indexOf(a.tag) - order.indexOf(b.tag));
  return [
    "| Area | Method | Path | operationId | Auth | What |",
    "| ---- | ------ | ---- | ----------- | ---- | ---- |",
    ...rows.map(
      ({ tag, method, path, op }) =>
        `| ${tag} | \`${method.toUpperCase()}\` | \`${path}\` | \`${op.operationId}\` | ${
          op.security?.length ? "token" : "—"
        } | ${escapeCell(op.summary)} |`,
    ),
  ].join("\n");
}

function writeReadme(doc) {
  const file = join(root, "README.md");
  const readme = readFileSync(file, "utf8");
  const start = "<!-- routes:start -->";
  const end = "<!-- routes:end -->";
  const from = readme.indexOf(start);
  const to = readme.indexOf(end);
  if (from < 0 || to < from) throw new Error(`README.md has no ${start} … ${end} block`);
  const updated = `${readme.slice(0, from + start.length)}\n${routesTable(doc)}\n${readme.slice(to)}`;
  writeFileSync(file, updated);
  console.log("openapi: README.md routes table rewritten");
}

const fetched = await fetchFromWorker();
if (process.argv.includes("--readme")) {
  writeReadme(JSON.parse(fetched.document));
} else {
  lint(fetched.document);
  checkDocs(fetched);
}
