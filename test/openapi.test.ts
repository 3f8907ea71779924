import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import readme from "../README.md?raw";
import { api } from "./helpers";

// The API description as SDK generators read it: operation ids, tags, servers; the README's
// routes table; and /docs, which must load nothing from another host.

const METHODS = ["get", "put", "post", "patch", "delete", "head", "options", "trace"] as const;
type Method = (typeof METHODS)[number];

interface Operation {
  operationId?: string;
  tags?: string[];
  summary?: string;
  responses?: Record<string, unknown>;
}
interface Doc {
  servers?: { url: string }[];
  tags?: { name: string; description?: string }[];
  paths: Record<string, Partial<Record<(typeof METHODS)[number], Operation>>>;
}
interface Op {
  method: string;
  path: string;
  op: Operation;
}

let doc: Doc;
let ops: Op[];

beforeAll(async () => {
  const res = await api<Doc>("GET", "/openapi.json");
  expect(res.status).toBe(200);
  doc = res.body;
  ops = Object.entries(doc.paths).flatMap(([path, item]) =>
    METHODS.flatMap((method) => (item[method] ? [{ method, path, op: item[method] }] : [])),
  );
});

const camel = (segment: string) => segment.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

describe("operation ids", () => {
  it("every operation has one, and no two share it", () => {
    expect(ops.length).toBeGreaterThan(50);
    const ids = ops.map(({ method, path, op }) => {
      expect(op.operationId, `${method} ${path}`).toMatch(
        /^[a-z][a-zA-Z0-9]*(\.[a-z][a-zA-Z0-9]*)+$/,
      );
      return op.operationId;
    });
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("each is derived from its path: the path's words, then at most one verb", () => {
    for (const { method, path, op } of ops) {
      const label = `${method} ${path}: ${op.operationId}`;
      const words = path
        .replace(/^\/v1\//, "/")
        .split("/")
        .filter((segment) => segment && !segment.startsWith("{"))
        .map(camel);
      const parts = (op.operationId ?? "").split(".");
      expect(parts.slice(0, words.length), label).toStrictEqual(words);
      expect(parts.length - words.length, label).toBeLessThanOrEqual(1);
      const verb = parts.length > words.length ? parts.at(-1) : undefined;
      // A collection that can be emptied at once as well as item by item: `deleteAll`.
      if (method === "delete") expect(verb, label).toMatch(/^delete(All)?$/);
      if (method === "patch" || method === "put") expect(verb, label).toBe("update");
      if (method === "get" && path.endsWith("}")) expect(verb, label).toBe("get");
    }
  });

  it("keeps the ones SDKs already use", () => {
    const idOf = (method: string, path: string) =>
      ops.find((o) => o.method === method && o.path === path)?.op.operationId;
    expect(idOf("post", "/v1/auth/login")).toBe("auth.login");
    expect(idOf("get", "/v1/me")).toBe("me.get");
    expect(idOf("post", "/v1/me/api-keys")).toBe("me.apiKeys.create");
    expect(idOf("get", "/v1/admin/users")).toBe("admin.users.list");
    expect(idOf("patch", "/v1/admin/plans/{id}")).toBe("admin.plans.update");
    expect(idOf("post", "/v1/admin/webhook-events/{id}/replay")).toBe("admin.webhookEvents.replay");
    expect(idOf("get", "/v1/subscription/change/preview")).toBe("subscription.change.preview");
    expect(idOf("get", "/health")).toBe("health.get");
  });
});

describe("tags and servers", () => {
  it("declares every tag an operation uses, once, with a description, and no unused one", () => {
    const declared = (doc.tags ?? []).map((tag) => tag.name);
    expect(new Set(declared).size).toBe(declared.length);
    for (const tag of doc.tags ?? []) expect(tag.description, tag.name).toBeTruthy();
    const used = new Set<string>();
    for (const { method, path, op } of ops) {
      expect(op.tags?.length, `${method} ${path}`).toBeGreaterThan(0);
      for (const tag of op.tags ?? []) used.add(tag);
    }
    expect([...used].sort()).toStrictEqual([...declared].sort());
  });

  it("names the deployment that serves the document as its server", () => {
    expect(doc.servers).toStrictEqual([{ url: "https://api.test" }]);
  });

  it("documents /health, and neither the document nor its viewer", () => {
    expect(Object.keys(doc.paths["/health"] ?? {})).toStrictEqual(["get"]);
    expect(doc.paths["/openapi.json"]).toBeUndefined();
    expect(doc.paths["/docs"]).toBeUndefined();
  });
});

describe("common problems", () => {
  // Added to every operation by what guards it (withCommonProblems), not listed by each route.
  const statuses = (method: Method, path: string) =>
    Object.keys(doc.paths[path]?.[method]?.responses ?? {});

  it("documents 401 and 429 on every authenticated operation, 400 wherever there is input", () => {
    for (const { method, path, op } of ops) {
      const codes = Object.keys(op.responses ?? {});
      if ((op as { security?: unknown[] }).security?.length) {
        expect(codes, `${method} ${path}`).toEqual(expect.arrayContaining(["401", "429"]));
      }
      const input = op as { parameters?: unknown[]; requestBody?: unknown };
      if (input.parameters?.length || input.requestBody) {
        expect(codes, `${method} ${path}`).toContain("400");
      }
    }
  });

  it("documents 402 where a suspended subscriber is refused, and not where they may go", () => {
    expect(statuses("post", "/v1/coupons/validate")).toContain("402");
    expect(statuses("get", "/v1/ping")).toContain("402");
    expect(statuses("get", "/v1/me")).not.toContain("402");
    expect(statuses("post", "/v1/subscription/checkout")).not.toContain("402");
  });

  it("documents 403 on every admin operation", () => {
    const admin = ops.filter(({ path }) => path.startsWith("/v1/admin"));
    expect(admin.length).toBeGreaterThan(20);
    for (const { method, path } of admin) expect(statuses(method as Method, path)).toContain("403");
  });
});

describe("README", () => {
  // `npm run readme:routes` rewrites the table from the document.
  const table = readme.slice(
    readme.indexOf("<!-- routes:start -->"),
    readme.indexOf("<!-- routes:end -->"),
  );
  const rows = [...table.matchAll(/^\| [^|]* \| `([A-Z]+)` \| `([^`]+)` \| `([^`]+)` \|/gm)].map(
    ([, method, path, operationId]) => `${method} ${path} ${operationId}`,
  );

  it("lists every route of the app with its operationId, and none that is not one", () => {
    expect(rows.length).toBeGreaterThan(0);
    const routes = ops.map(
      ({ method, path, op }) => `${method.toUpperCase()} ${path} ${op.operationId}`,
    );
    const missing = routes.filter((route) => !rows.includes(route));
    const extra = rows.filter((row) => !routes.includes(row));
    expect({ missing, extra }, "run `npm run readme:routes`").toStrictEqual({
      missing: [],
      extra: [],
    });
    expect(rows.length).toBe(new Set(rows).size);
  });
});

describe("GET /docs", () => {
  const ASSETS: Record<string, string> = {
    "/docs/swagger-ui.css": "text/css",
    "/docs/swagger-ui-bundle.js": "text/javascript",
    "/docs/init.js": "text/javascript",
    "/docs/favicon-32x32.png": "image/png",
  };

  it("is a Swagger UI page for /openapi.json that loads only same-origin files", async () => {
    const res = await api("GET", "/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.text).toContain('data-url="/openapi.json"');
    const urls = [...res.text.matchAll(/\b(?:src|href)="([^"]*)"/g)].map(([, url]) => url);
    expect(urls.sort()).toStrictEqual(Object.keys(ASSETS).sort());
    // No inline script or style, nothing from another host.
    expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(res.text).not.toMatch(/<style|\sstyle=|\/\/[a-z0-9.-]+\.[a-z]{2,}/i);
  });

  it("has a CSP that allows its own origin only (and data: images, for Swagger UI's icons)", async () => {
    const res = await api("GET", "/docs");
    const csp = res.headers.get("content-security-policy") ?? "";
    const directives = Object.fromEntries(
      csp.split(";").map((part) => {
        const [name = "", ...sources] = part.trim().split(/\s+/);
        return [name, sources];
      }),
    );
    expect(directives["default-src"]).toStrictEqual(["'self'"]);
    expect(directives["img-src"]).toStrictEqual(["'self'", "data:"]);
    for (const name of ["script-src", "style-src", "connect-src", "font-src"]) {
      expect(directives[name], name).toBeUndefined();
    }
    expect(csp).not.toMatch(/unsafe|https?:|\*/);
  });

  it("serves those files as static assets, with their content types", async () => {
    for (const [path, type] of Object.entries(ASSETS)) {
      const res = await env.ASSETS.fetch(new Request(`https://api.test${path}`));
      const body = await res.arrayBuffer();
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type"), path).toMatch(new RegExp(`^${type}\\b`));
      expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(body.byteLength, path).toBeGreaterThan(0);
    }
  });

  it("starts Swagger UI on the page's document with the external validator off", async () => {
    const init = await (
      await env.ASSETS.fetch(new Request("https://api.test/docs/init.js"))
    ).text();
    expect(init).toContain("SwaggerUIBundle(");
    expect(init).toContain('document.getElementById("swagger-ui").dataset.url');
    expect(init).toContain("validatorUrl: null");
    const bundle = await (
      await env.ASSETS.fetch(new Request("https://api.test/docs/swagger-ui-bundle.js"))
    ).text();
    expect(bundle).toContain("SwaggerUIBundle");
  });
});
