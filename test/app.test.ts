import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../src/env";
import worker from "../src/index";
import { api, type Problem, signup, signupAdmin } from "./helpers";

/** A request straight to the Worker's fetch handler with an env of the test's choosing. */
async function fetchWithEnv(
  bindings: Record<string, unknown>,
  path: string,
  init: RequestInit = {},
): Promise<{ response: Response; text: string }> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request(`https://api.test${path}`, init),
    bindings as unknown as Env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { response, text: await response.text() };
}

function expectProblem(
  res: { status: number; headers: Headers; body: unknown },
  status: number,
  code: string,
  instance: string,
): Problem {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  const problem = res.body as Problem;
  expect(problem.code).toBe(code);
  expect(problem.status).toBe(status);
  expect(problem.type).toBe(`https://tollgate.dev/problems/${code}`);
  expect(problem.instance).toBe(instance);
  expect(typeof problem.title).toBe("string");
  expect(problem.title.length).toBeGreaterThan(0);
  expect(problem.request_id).toBe(res.headers.get("x-request-id"));
  return problem;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("health, request ids and security headers", () => {
  it("GET /health is 200 {status: ok}", async () => {
    const res = await api("GET", "/health");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.body).toStrictEqual({ status: "ok" });
  });

  it("echoes the X-Request-Id it was sent", async () => {
    const res = await api("GET", "/health", { headers: { "X-Request-Id": "abc-123" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBe("abc-123");
  });

  it("generates a request id when none is sent, a new one each time", async () => {
    const a = await api("GET", "/health");
    const b = await api("GET", "/health");
    expect(a.headers.get("x-request-id")).toMatch(UUID);
    expect(b.headers.get("x-request-id")).toMatch(UUID);
    expect(a.headers.get("x-request-id")).not.toBe(b.headers.get("x-request-id"));
  });

  it("replaces a request id that is not a safe token (no header injection into logs)", async () => {
    const res = await api("GET", "/health", { headers: { "X-Request-Id": "abc 123<script>" } });
    expect(res.headers.get("x-request-id")).toMatch(UUID);
  });

  it("sends the secure headers", async () => {
    const res = await api("GET", "/health");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-frame-options")).toBe("SAMEORIGIN");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    expect(res.headers.get("strict-transport-security")).toBe(
      "max-age=15552000; includeSubDomains",
    );
    expect(res.headers.get("cross-origin-opener-policy")).toBe("same-origin");
  });

  it("sends the request id and secure headers on error responses too", async () => {
    const res = await api("GET", "/nope", { headers: { "X-Request-Id": "err-req-1" } });
    expect(res.status).toBe(404);
    expect(res.headers.get("x-request-id")).toBe("err-req-1");
    expect(res.body.request_id).toBe("err-req-1");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });
});

describe("404 and 405", () => {
  it("an unknown path is a 404 problem", async () => {
    const res = await api("GET", "/v1/does-not-exist");
    const problem = expectProblem(res, 404, "not_found", "/v1/does-not-exist");
    expect(problem).toStrictEqual({
      type: "https://tollgate.dev/problems/not_found",
      title: "Not found",
      status: 404,
      detail: "No route for GET /v1/does-not-exist",
      code: "not_found",
      instance: "/v1/does-not-exist",
      request_id: res.headers.get("x-request-id"),
    });
    expect(res.headers.get("allow")).toBeNull();
  });

  it("an unknown path below a known one is still 404", async () => {
    const res = await api("POST", "/v1/auth/login/extra");
    expectProblem(res, 404, "not_found", "/v1/auth/login/extra");
  });

  it("GET /v1/auth/login is 405 with Allow: POST", async () => {
    const res = await api("GET", "/v1/auth/login");
    const problem = expectProblem(res, 405, "method_not_allowed", "/v1/auth/login");
    expect(problem.title).toBe("Method not allowed");
    expect(problem.detail).toBe("GET is not allowed here");
    expect(res.headers.get("allow")).toBe("POST");
  });

  it("DELETE /v1/me/settings (signed in) is 405 with Allow: GET, PUT", async () => {
    const user = await signup("settings405");
    const res = await api("DELETE", "/v1/me/settings", { token: user.accessToken });
    expectProblem(res, 405, "method_not_allowed", "/v1/me/settings");
    expect(res.headers.get("allow")).toBe("GET, PUT");
  });

  it("PUT /v1/me lists every method of /v1/me", async () => {
    const user = await signup("me405");
    const res = await api("PUT", "/v1/me", { token: user.accessToken, body: {} });
    expectProblem(res, 405, "method_not_allowed", "/v1/me");
    const allow = (res.headers.get("allow") ?? "").split(",").map((m) => m.trim());
    expect(allow.sort()).toStrictEqual(["DELETE", "GET", "PATCH"]);
  });

  it("a path-parameter route answers 405 too (DELETE /v1/admin/users/{id} as an admin)", async () => {
    const admin = await signupAdmin();
    const res = await api("DELETE", "/v1/admin/users/usr_whatever", { token: admin.accessToken });
    expectProblem(res, 405, "method_not_allowed", "/v1/admin/users/usr_whatever");
    expect(res.headers.get("allow")).toBe("GET, PATCH");
  });

  it.each([
    ["GET", "/health/"],
    ["GET", "/openapi.json/"],
    ["POST", "/v1/auth/login/"],
  ])(
    "%s %s (trailing slash) is never a 405 that allows the method it refuses",
    async (method, path) => {
      const res = await api(method, path, method === "POST" ? { body: {} } : {});
      const allow = res.headers.get("allow");
      expect(
        { status: res.status, allow },
        `${res.status} ${allow ?? ""}: ${res.text.slice(0, 120)}`,
      ).not.toMatchObject({ status: 405, allow: expect.stringContaining(method) });
      expect([200, 400, 404]).toContain(res.status);
    },
  );

  it("routes behind auth authenticate before the method check", async () => {
    const res = await api("DELETE", "/v1/me/settings");
    expectProblem(res, 401, "unauthorized", "/v1/me/settings");
    expect(res.headers.get("allow")).toBeNull();
  });
});

describe("CORS", () => {
  it("answers a preflight from a configured origin", async () => {
    const res = await api("OPTIONS", "/v1/auth/login", {
      headers: {
        Origin: "https://app.test",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, authorization",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.test");
    const methods = res.headers.get("access-control-allow-methods") ?? "";
    expect(methods.split(",")).toContain("POST");
    const headers = (res.headers.get("access-control-allow-headers") ?? "").toLowerCase();
    expect(headers.split(",")).toEqual(expect.arrayContaining(["authorization", "content-type"]));
    expect(res.headers.get("access-control-max-age")).toBe("600");
  });

  it("allows a configured origin on a normal request and exposes the request id", async () => {
    const res = await api("GET", "/health", { headers: { Origin: "https://app.test" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.test");
    expect(res.headers.get("access-control-expose-headers")).toContain("X-Request-Id");
    expect(res.headers.get("vary")).toContain("Origin");
  });

  it("gives an unknown origin nothing, preflight or not", async () => {
    const preflight = await api("OPTIONS", "/v1/auth/login", {
      headers: { Origin: "https://evil.test", "Access-Control-Request-Method": "POST" },
    });
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
    const normal = await api("GET", "/health", { headers: { Origin: "https://evil.test" } });
    expect(normal.status).toBe(200);
    expect(normal.headers.get("access-control-allow-origin")).toBeNull();
    // A look-alike of the configured origin is not the configured origin.
    const lookalike = await api("GET", "/health", {
      headers: { Origin: "https://app.test.evil.test" },
    });
    expect(lookalike.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("OpenAPI document and docs", () => {
  type Operation = {
    responses: Record<string, { content?: Record<string, unknown> }>;
    security?: unknown[];
  };
  type Doc = {
    openapi: string;
    info: { title: string; version: string };
    paths: Record<string, Record<string, Operation>>;
    components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> };
  };

  const EXPECTED: Record<string, string[]> = {
    "/v1/auth/signup": ["post"],
    "/v1/auth/login": ["post"],
    "/v1/auth/refresh": ["post"],
    "/v1/auth/logout": ["post"],
    "/v1/auth/logout-all": ["post"],
    "/v1/auth/password/forgot": ["post"],
    "/v1/auth/password/reset": ["post"],
    "/v1/auth/email/verify": ["post"],
    "/v1/auth/email/resend": ["post"],
    "/v1/me": ["delete", "get", "patch"],
    "/v1/me/settings": ["get", "put"],
    "/v1/me/password": ["post"],
    "/v1/me/export": ["get"],
    "/v1/admin/users": ["get"],
    "/v1/admin/users/{id}": ["get", "patch"],
    "/v1/admin/audit": ["get"],
  };

  it("is an OpenAPI 3.1 document with every route and its exact methods", async () => {
    const res = await api<Doc>("GET", "/openapi.json");
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe("3.1.0");
    expect(res.body.info.title).toBe("tollgate API");
    for (const [path, methods] of Object.entries(EXPECTED)) {
      expect(Object.keys(res.body.paths[path] ?? {}).sort(), path).toStrictEqual(methods);
    }
    // Everything documented is under /v1 but /health (no Hono-style `:param` paths).
    for (const path of Object.keys(res.body.paths)) {
      if (path !== "/health") expect(path).toMatch(/^\/v1\/[a-z0-9/{}_-]+$/);
    }
  });

  it("gives every operation problem+json error responses", async () => {
    const res = await api<Doc>("GET", "/openapi.json");
    for (const [path, ops] of Object.entries(res.body.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const errors = Object.entries(op.responses).filter(([status]) => Number(status) >= 400);
        expect(errors.length, `${method} ${path}`).toBeGreaterThan(0);
        for (const [status, response] of errors) {
          expect(
            response.content?.["application/problem+json"],
            `${method} ${path} ${status}`,
          ).toStrictEqual({ schema: { $ref: "#/components/schemas/Problem" } });
        }
      }
    }
    expect(res.body.components.schemas.Problem).toBeDefined();
  });

  it("declares bearerAuth and uses it on the authenticated routes only", async () => {
    const res = await api<Doc>("GET", "/openapi.json");
    expect(res.body.components.securitySchemes.bearerAuth).toMatchObject({
      type: "http",
      scheme: "bearer",
    });
    const secured = [
      ["/v1/me", "get"],
      ["/v1/me/settings", "put"],
      ["/v1/auth/logout-all", "post"],
      ["/v1/admin/users/{id}", "patch"],
    ] as const;
    for (const [path, method] of secured) {
      expect(res.body.paths[path]?.[method]?.security, `${method} ${path}`).toStrictEqual([
        { bearerAuth: [] },
      ]);
    }
    expect(res.body.paths["/v1/auth/login"]?.post?.security).toBeUndefined();
  });

  it("GET /docs is the Swagger UI page pointing at /openapi.json", async () => {
    const res = await api("GET", "/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.text).toContain("<html");
    expect(res.text).toContain("/openapi.json");
  });
});

describe("configuration errors", () => {
  it("a missing JWT_SIGNING_KEYS is a 500 misconfigured problem naming it", async () => {
    const { response, text } = await fetchWithEnv(
      { ...env, JWT_SIGNING_KEYS: undefined },
      "/health",
      {
        headers: { "X-Request-Id": "cfg-missing" },
      },
    );
    expect(response.status).toBe(500);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const problem = JSON.parse(text) as Problem;
    expect(problem.code).toBe("misconfigured");
    expect(problem.status).toBe(500);
    expect(problem.title).toBe("The server is misconfigured");
    expect(problem.instance).toBe("/health");
    expect(problem.request_id).toBe("cfg-missing");
    expect(problem.detail).toBe(
      "invalid configuration — JWT_SIGNING_KEYS: JWT_SIGNING_KEYS is required (set it with `wrangler secret put`)",
    );
  });

  it("a misconfigured response still carries the X-Request-Id header", async () => {
    const { response, text } = await fetchWithEnv(
      { ...env, JWT_SIGNING_KEYS: undefined },
      "/health",
      {
        headers: { "X-Request-Id": "cfg-header" },
      },
    );
    expect(response.status).toBe(500);
    expect((JSON.parse(text) as Problem).request_id).toBe("cfg-header");
    expect(response.headers.get("x-request-id")).toBe("cfg-header");
  });

  it("a too-short key is a 500 misconfigured problem that does not echo the secret", async () => {
    const secret = "shortsecretvalue";
    const { response, text } = await fetchWithEnv(
      { ...env, JWT_SIGNING_KEYS: `k1:${secret}` },
      "/v1/auth/login",
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: "a@example.test", password: "whatever-password" }),
      },
    );
    expect(response.status).toBe(500);
    const problem = JSON.parse(text) as Problem;
    expect(problem.code).toBe("misconfigured");
    expect(problem.detail).toContain("JWT_SIGNING_KEYS");
    expect(text).not.toContain(secret);
  });

  it("a bad key never leaks any configured secret, even when a good key is next to it", async () => {
    const good = String(env.JWT_SIGNING_KEYS);
    const { response, text } = await fetchWithEnv(
      { ...env, JWT_SIGNING_KEYS: `${good},k9:tiny` },
      "/health",
    );
    expect(response.status).toBe(500);
    expect((JSON.parse(text) as Problem).code).toBe("misconfigured");
    for (const part of good.split(/[,:]/)) expect(text).not.toContain(part);
    expect(text).not.toContain("tiny");
  });
});

describe("unexpected errors", () => {
  it("become a 500 internal_error problem without the message or a stack trace", async () => {
    const user = await signup("boom");
    const secretMessage = "D1_ERROR: boom at /srv/internal/db.ts:42 password_hash=xyz";
    const brokenDb = new Proxy(
      {},
      {
        get() {
          return () => {
            throw new Error(secretMessage);
          };
        },
      },
    );
    const { response, text } = await fetchWithEnv({ ...env, DB: brokenDb }, "/v1/me", {
      headers: { authorization: `Bearer ${user.accessToken}`, "X-Request-Id": "boom-1" },
    });
    expect(response.status).toBe(500);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(JSON.parse(text)).toStrictEqual({
      type: "https://tollgate.dev/problems/internal_error",
      title: "Internal server error",
      status: 500,
      code: "internal_error",
      instance: "/v1/me",
      request_id: "boom-1",
    });
    expect(text).not.toContain("boom at");
    expect(text).not.toContain(".ts");
    expect(text).not.toMatch(/\bat\s+\S+\s+\(/);
  });
});

describe("required bodies", () => {
  it("refuses a body-less PUT that would otherwise reset every setting", async () => {
    const user = await signup("nobody");
    await api("PUT", "/v1/me/settings", { token: user.accessToken, body: { theme: "dark" } });
    const res = await api("PUT", "/v1/me/settings", { token: user.accessToken });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("invalid_request");
    const after = await api<{ theme: string }>("GET", "/v1/me/settings", {
      token: user.accessToken,
    });
    expect(after.body.theme).toBe("dark");
  });
});
