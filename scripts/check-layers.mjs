#!/usr/bin/env node
// Fails when an import in src/ points up the layers, or when a file outgrows MAX_LINES.
// Every folder (and top-level file) of src/ has a rank; a module may import only from its own
// folder or from a folder of lower rank. A total order makes a cycle between folders impossible,
// type-only and dynamic imports included. The order is the one the README's layout shows.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** Bottom first. A new folder must be placed here before anything may import it. */
export const LAYERS = [
  // Foundations: no feature import, ever.
  "env",
  // Messages in every language: below lib, so errors and emails render in the caller's locale.
  "i18n",
  "db",
  "lib",
  // Delivery and records every domain writes to, and the policy the limiter enforces.
  "audit",
  "email",
  "policy",
  // Limits and identity.
  "ratelimit",
  "auth",
  // What reaches the user (in-app, email, SMS, push, the live stream), and their calendar.
  "notifications",
  "events",
  // Billing state.
  "plans",
  "coupons",
  "payments",
  "subscriptions",
  "wallets",
  // Priced runs and the proxy mode, on the wallet and the limiter.
  "actions",
  // What consumes provider events, and the user's own account across all of the above.
  "webhooks",
  "users",
  // What composes many domains.
  "analytics",
  "cron",
  "admin",
  // Entry points.
  "queues",
  "docs",
  // The browser apps' pages (their client-side routes), served by the Worker.
  "web",
  "app",
  "index",
];

const MAX_LINES = 300;
/**
 * Message catalogs are data, one file per language (adding a language is one file): they grow
 * with the messages, not with logic, so the size rule does not split them.
 */
const CATALOGS = `${join("src", "i18n", "locales")}${sep}`;

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "src");

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return files(path);
    return /\.(ts|tsx)$/.test(entry.name) && !entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

/** The folder a path belongs to (`auth`), or the top-level file's name (`app`). */
function unitOf(path) {
  const [first, ...rest] = relative(src, path).split(sep);
  return rest.length > 0 ? first : first.replace(/\.(ts|tsx)$/, "");
}

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["'](\.{1,2}\/[^"']*)["']/g;

const problems = [];
const rank = new Map(LAYERS.map((name, index) => [name, index]));

for (const file of files(src)) {
  const text = readFileSync(file, "utf8");
  const lines = text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
  const shown = relative(root, file);
  if (lines > MAX_LINES && !shown.startsWith(CATALOGS))
    problems.push(`${shown}: ${lines} lines (at most ${MAX_LINES})`);
  const from = unitOf(file);
  if (!rank.has(from)) {
    problems.push(
      `${shown}: '${from}' has no layer (add it to LAYERS in scripts/check-layers.mjs)`,
    );
    continue;
  }
  for (const match of text.matchAll(IMPORT)) {
    const target = resolve(dirname(file), match[1]);
    if (!target.startsWith(src)) continue;
    const to = unitOf(target.endsWith(".ts") ? target : `${target}.ts`);
    if (to === from) continue;
    if (!rank.has(to)) {
      problems.push(`${shown}: imports '${match[1]}', in '${to}', which has no layer`);
    } else if (rank.get(to) > rank.get(from)) {
      problems.push(`${shown}: '${from}' imports '${match[1]}' from '${to}', a higher layer`);
    }
  }
}

if (problems.length > 0) {
  console.error(`Layering check failed (${problems.length}):\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log(
  `Layering check: ${LAYERS.length} layers, no import points up, no file over ${MAX_LINES} lines`,
);
