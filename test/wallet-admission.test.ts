// A priced route as the actions branch mounts one: a middleware sets c.var.admission before
// requireAuth, which admits (and holds) in the same RPC as the limits; enforce answers 402
// insufficient_funds, 429 for the action's own window, and hands a replay to the route.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { createMiddleware } from "hono/factory";
import { describe, expect, it } from "vitest";
import { requireAuth } from "../src/auth/middleware";
import { type AppEnv, newRouter } from "../src/lib/context";
import { requestScope } from "../src/lib/middleware";
import { onError } from "../src/lib/on-error";
import { MINUTE } from "../src/lib/time";
import { userSubject } from "../src/ratelimit/client";
import { type ApiResponse, expectProblem, limiterStub, signup } from "./helpers";
import { fund } from "./wallet-helpers";

const PRICE = 25;

/** A stand-in priced route: one run per call, its id from the request, 3 a minute. */
function pricedApp() {
  const app = newRouter();
  app.use("*", requestScope);
  app.use(
    "*",
    createMiddleware<AppEnv>(async (c, next) => {
      const key = c.req.header("idempotency-key");
      c.set("admission", {
        reference: c.req.header("x-run-id") ?? crypto.randomUUID(),
        window: { name: "action:demo", limit: 3, windowMs: MINUTE },
        hold: { amount: PRICE, currency: "usd" },
        ...(key ? { idempotencyKey: key } : {}),
      });
      await next();
    }),
  );
  app.use("*", requireAuth);
  app.post("/run", (c) =>
    c.json({ replay_of: c.var.replayOf ?? null, hold: c.var.limits?.holdId ?? null }),
  );
  app.onError(onError);
  return app;
}

async function run(token: string, runId: string, headers: Record<string, string> = {}) {
  const ctx = createExecutionContext();
  const response = await pricedApp().fetch(
    new Request("https://api.test/run", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "x-run-id": runId, ...headers },
    }),
    env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: JSON.parse(text),
    text,
  } as ApiResponse;
}

describe("a priced call through requireAuth", () => {
  it("402 insufficient_funds names the currency, the price and the balance", async () => {
    const user = await signup("priced");
    const stub = limiterStub(userSubject(user.id));
    await fund(stub, userSubject(user.id), PRICE - 1, Date.now());
    const res = await run(user.accessToken, "run_1");
    const problem = expectProblem<{ price: number; available: number }>(
      res,
      402,
      "insufficient_funds",
    );
    expect(problem.detail).toBe("This call costs 25 USD (minor units); 24 USD is available");
    expect(problem).toMatchObject({ currency: "usd", price: 25, available: 24 });
    expect(await stub.walletBalances()).toEqual([{ currency: "usd", available: 24, held: 0 }]);
  });

  it("admits and holds; the action's window answers 429 with its headers", async () => {
    const user = await signup("priced");
    await fund(limiterStub(userSubject(user.id)), userSubject(user.id), 10 * PRICE, Date.now());
    for (const id of ["run_a", "run_b", "run_c"]) {
      const ok = await run(user.accessToken, id);
      expect(ok.status).toBe(200);
      expect(ok.body).toEqual({ replay_of: null, hold: id });
      expect(ok.headers.get("RateLimit-Policy")).toContain('"action:demo";q=3;w=60');
    }
    const limited = await run(user.accessToken, "run_d");
    const problem = expectProblem<{ violations: { window: string }[] }>(
      limited,
      429,
      "rate_limited",
    );
    expect(problem.violations.map((v) => v.window)).toEqual(["action:demo"]);
    expect(limited.headers.get("Retry-After")).not.toBeNull();
  });

  it("a repeated Idempotency-Key reaches the route as a replay of the first run", async () => {
    const user = await signup("priced");
    const stub = limiterStub(userSubject(user.id));
    await fund(stub, userSubject(user.id), 10 * PRICE, Date.now());
    const first = await run(user.accessToken, "run_1", { "idempotency-key": "abc" });
    expect(first.body).toEqual({ replay_of: null, hold: "run_1" });
    const again = await run(user.accessToken, "run_2", { "idempotency-key": "abc" });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ replay_of: "run_1", hold: null });
    expect(await stub.walletBalances()).toEqual([{ currency: "usd", available: 225, held: 25 }]);
  });
});
