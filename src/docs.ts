import type { Context } from "hono";

// GET /docs: Swagger UI, served whole from this deployment. Its script and stylesheet are
// Workers static assets under /docs/ (copied from the swagger-ui-dist package by
// scripts/docs-assets.mjs), and the page starts it from /docs/init.js, not an inline script,
// so the page's CSP allows nothing but its own origin. Images are also allowed as data: URIs
// because swagger-ui.css draws its icons with them.

const CSP = [
  "default-src 'self'",
  "img-src 'self' data:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'self'",
].join("; ");

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>tollgate API</title>
    <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
    <link rel="stylesheet" href="/docs/swagger-ui.css">
  </head>
  <body>
    <div id="swagger-ui" data-url="/openapi.json"></div>
    <script src="/docs/swagger-ui-bundle.js"></script>
    <script src="/docs/init.js"></script>
  </body>
</html>
`;

export function docsPage(c: Context) {
  c.header("Content-Security-Policy", CSP);
  return c.html(PAGE);
}
