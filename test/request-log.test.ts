import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { describe, expect, it, vi } from "vitest";
import type { AppEnv } from "../src/lib/context";
import { requestScope } from "../src/lib/middleware";

// The request log: failures and slow requests in full, a sample of the rest.

function appWith(vars: Record<string, string>, answer: (status: number) => Response) {
  const bindings = {
    JWT_SIGNING_KEYS: "k1:0123456789abcdef0123456789abcdef",
    API_KEY_SECRET: "0123456789abcdef0123456789abcdef",
    DB: env.DB,
    ...vars,
  };
  const app = new Hono<AppEnv>();
  app.use("*", requestScope);
  app.get("/:status", (c) => answer(Number(c.req.param("status"))));
  return {
    request: (path: string) =>
      app.request(path, { headers: { "x-request-id": "req-1" } }, bindings),
  };
}

const plain = (status: number) => new Response(null, { status });

describe("request log", () => {
  it("logs every failure and no ordinary request when the sample rate is 0", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const app = appWith({ REQUEST_LOG_SAMPLE_RATE: "0" }, plain);
    for (const status of [200, 404, 429])
      expect((await app.request(`/${status}`)).status).toBe(status);
    expect(log).not.toHaveBeenCalled();
    await app.request("/503");
    expect(log).toHaveBeenCalledTimes(1);
    const line = JSON.parse(String(log.mock.calls[0]?.[0]));
    expect(line).toMatchObject({ id: "req-1", method: "GET", path: "/503", status: 503 });
    expect(line.sample_rate).toBeUndefined();
  });

  it("logs a sampled request with its rate, so counts can be scaled back", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    vi.spyOn(Math, "random").mockReturnValueOnce(0.04).mockReturnValueOnce(0.06);
    const app = appWith({ REQUEST_LOG_SAMPLE_RATE: "0.05" }, plain);
    await app.request("/200");
    await app.request("/200");
    expect(log).toHaveBeenCalledTimes(1);
    expect(JSON.parse(String(log.mock.calls[0]?.[0]))).toMatchObject({
      status: 200,
      sample_rate: 0.05,
    });
  });

  it("logs a slow request whatever the sample", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    let clock = Date.UTC(2026, 10, 29);
    vi.spyOn(Date, "now").mockImplementation(() => {
      clock += 600;
      return clock;
    });
    const app = appWith({ REQUEST_LOG_SAMPLE_RATE: "0", SLOW_REQUEST_MS: "500" }, plain);
    await app.request("/200");
    expect(log).toHaveBeenCalledTimes(1);
    expect(JSON.parse(String(log.mock.calls[0]?.[0]))).toMatchObject({ status: 200, ms: 600 });
  });

  it("logs nothing when REQUEST_LOGS is off", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const app = appWith({ REQUEST_LOGS: "off" }, plain);
    await app.request("/503");
    expect(log).not.toHaveBeenCalled();
  });
});
