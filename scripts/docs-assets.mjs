// Puts Swagger UI's files in public/docs/, where wrangler serves them as static assets
// (/docs/swagger-ui.css, …), so GET /docs loads nothing from another host. public/docs/ is
// generated (gitignored): wrangler runs this before dev, deploy and the dry-run build
// ([build] in wrangler.toml), and vitest.config.ts runs it before the tests. Writes only
// what changed, so running it again is cheap.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "public", "docs");
const dist = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));

// Starts Swagger UI on the page's #swagger-ui element, reading the document's URL from it.
// The validator badge is off: it would send the document to validator.swagger.io.
const INIT = `window.ui = SwaggerUIBundle({
  url: document.getElementById("swagger-ui").dataset.url,
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
});
`;

// The source-map comments point at .map files that are not copied.
const withoutSourceMap = (buffer) =>
  Buffer.from(
    buffer.toString("utf8").replace(/\n?\/[*/]# sourceMappingURL=\S+(?: \*\/)?\s*$/, "\n"),
  );

const files = {
  "swagger-ui.css": withoutSourceMap(readFileSync(join(dist, "swagger-ui.css"))),
  "swagger-ui-bundle.js": withoutSourceMap(readFileSync(join(dist, "swagger-ui-bundle.js"))),
  "favicon-32x32.png": readFileSync(join(dist, "favicon-32x32.png")),
  "init.js": Buffer.from(INIT),
};

mkdirSync(out, { recursive: true });
let written = 0;
for (const [name, content] of Object.entries(files)) {
  const path = join(out, name);
  let current = null;
  try {
    current = readFileSync(path);
  } catch {}
  if (current?.equals(content)) continue;
  writeFileSync(path, content);
  written += 1;
}
if (written > 0) console.log(`docs assets: wrote ${written} file(s) to public/docs/`);
