// Proxy mode: a request under an action's path prefix is authenticated, limited and priced,
// forwarded (rest of the path, query, method, headers, body) signed and naming the user,
// without the caller's credentials; the upstream's answer comes back with the RateLimit headers.
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { forwardedHeaders, upstreamTarget } from "../src/actions/proxy";
import { actionsTestBed, createProxy, deliver, FEE, fundedUser, usd } from "./actions-helpers";
import { verifySignature } from "./fakes/upstream";
import { api, expectProblem, type TestUser } from "./helpers";

const bed = actionsTestBed();

/** The records of proxied calls go through the queue: written once the consumer has them. */
async function recorded() {
  const result = await deliver(bed.sent.splice(0));
  expect(result.retryMessages).toStrictEqual([]);
}

function call(user: TestUser | null, method: string, path: string, init: RequestInit = {}) {
  const headers = new Headers(init.headers);
  if (user) headers.set("authorization", `Bearer ${user.accessToken}`);
  return api(method, path, {
    headers: Object.fromEntries(headers),
    ...(typeof init.body === "string" ? { rawBody: init.body } : {}),
  });
}

describe("proxy mode", () => {
  it("forwards path, query, method and headers, signed, without the caller's credentials", async () => {
    const proxy = await createProxy({ price: { amount: FEE, currency: "usd" } });
    const user = await fundedUser(FEE);
    bed.upstream.respond = () =>
      new Response("quote: 42", {
        status: 201,
        headers: { "content-type": "text/plain", "x-upstream": "yes", "set-cookie": "a=1" },
      });
    const ok = await call(user, "GET", `${proxy.path_prefix}/AAPL?range=1d&x=%20y`, {
      headers: { "x-custom": "kept", "tollgate-user-id": "usr_spoofed", "idempotency-key": "k1" },
    });
    expect(ok.status, ok.text).toBe(201);
    expect(ok.text).toBe("quote: 42");
    expect(ok.headers.get("x-upstream")).toBe("yes");
    expect(ok.headers.get("set-cookie")).toBe("a=1");
    // The action's own window (10 a minute by default) is the tightest after one call.
    expect(ok.headers.get("ratelimit")).toMatch(/^"action:act_[0-9a-z]+";r=9;t=\d+$/);
    expect(ok.headers.get("ratelimit-policy")).toContain(`"action:${proxy.id}";q=10;w=60`);

    expect(bed.upstream.calls).toHaveLength(1);
    const forwarded = bed.upstream.calls[0];
    if (!forwarded) throw new Error("not forwarded");
    expect(forwarded.method).toBe("GET");
    expect(`${forwarded.url.pathname}${forwarded.url.search}`).toBe("/px/AAPL?range=1d&x=+y");
    expect(forwarded.headers.get("authorization")).toBeNull();
    expect(forwarded.headers.get("x-api-key")).toBeNull();
    expect(forwarded.headers.get("x-custom")).toBe("kept");
    expect(forwarded.headers.get("idempotency-key")).toBe("k1");
    expect(forwarded.headers.get("tollgate-user-id")).toBe(user.id);
    const runId = forwarded.headers.get("tollgate-run-id");
    expect(runId).toMatch(/^arn_/);
    expect((await verifySignature(forwarded, proxy.signing_secret)).valid).toBe(true);

    expect(await usd(user.id)).toStrictEqual({ available: 0, held: 0 });
    expect(bed.sent).toHaveLength(1);
    await recorded();
    const run = await api("GET", `/v1/actions/runs/${runId}`, { token: user.accessToken });
    expect(run.body).toMatchObject({
      kind: "proxy",
      method: "GET",
      path: `${proxy.path_prefix}/AAPL?range=1d&x=%20y`,
      status: "succeeded",
      charged: true,
      upstream_status: 201,
      request: null,
      response: null,
    });
  });

  it("forwards a body as sent, signed over its raw bytes, with an API key as the credential", async () => {
    const proxy = await createProxy({ price: null });
    const user = await fundedUser(0);
    const key = await api<{ key: string }>("POST", "/v1/me/api-keys", {
      token: user.accessToken,
      body: { name: "proxy" },
    });
    bed.upstream.respond = async (c) => Response.json({ echoed: JSON.parse(c.body) });
    const body = JSON.stringify({ symbol: "AAPL", qty: 3 });
    const res = await call(null, "POST", `${proxy.path_prefix}/orders`, {
      headers: { "x-api-key": key.body.key, "content-type": "application/json" },
      body,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toStrictEqual({ echoed: { symbol: "AAPL", qty: 3 } });
    const forwarded = bed.upstream.calls[0];
    if (!forwarded) throw new Error("not forwarded");
    expect(forwarded.method).toBe("POST");
    expect(forwarded.url.pathname).toBe("/px/orders");
    expect(forwarded.body).toBe(body);
    expect(forwarded.headers.get("content-type")).toBe("application/json");
    expect(forwarded.headers.get("x-api-key")).toBeNull();
    expect((await verifySignature(forwarded, proxy.signing_secret)).valid).toBe(true);
  });

  it("401 without a credential, 404 with no route, 405 for another method", async () => {
    const proxy = await createProxy({ method: "GET", price: null });
    const user = await fundedUser(0);
    expectProblem(await call(null, "GET", `${proxy.path_prefix}/x`), 401, "unauthorized");
    expectProblem(await call(user, "GET", "/api/nothing-here/x"), 404, "not_found");
    expectProblem(await call(null, "GET", "/api/nothing-here/x"), 404, "not_found");
    // A prefix matches whole segments only.
    expectProblem(await call(user, "GET", `${proxy.path_prefix}extra`), 404, "not_found");
    const wrong = expectProblem(
      await call(user, "DELETE", `${proxy.path_prefix}/x`),
      405,
      "method_not_allowed",
    );
    expect(wrong.status).toBe(405);
    expect(bed.upstream.calls).toHaveLength(0);
    // The prefix itself is under it.
    expect((await call(user, "GET", `${proxy.path_prefix}`)).status).toBe(200);
    expect(bed.upstream.calls[0]?.url.pathname).toBe("/px");
  });

  it("charges an answer below 500, releases a 5xx, a timeout and no answer", async () => {
    const proxy = await createProxy({ price: { amount: FEE, currency: "usd" }, timeout_ms: 1_000 });
    const user = await fundedUser(FEE);
    bed.upstream.respond = () => new Response("down", { status: 503 });
    const failed = await call(user, "GET", `${proxy.path_prefix}/a`);
    expect(failed.status).toBe(503);
    expect(failed.text).toBe("down");
    expect(await usd(user.id)).toStrictEqual({ available: FEE, held: 0 });

    bed.upstream.unreachable();
    expectProblem(await call(user, "GET", `${proxy.path_prefix}/a`), 502, "upstream_failed");
    expect(await usd(user.id)).toStrictEqual({ available: FEE, held: 0 });

    bed.upstream.hang();
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const pending = call(user, "GET", `${proxy.path_prefix}/a`);
    await bed.upstream.called(3);
    vi.advanceTimersByTime(1_000);
    expectProblem(await pending, 504, "upstream_timeout");
    vi.useRealTimers();
    expect(await usd(user.id)).toStrictEqual({ available: FEE, held: 0 });

    bed.upstream.respond = () => new Response("no such symbol", { status: 404 });
    expect((await call(user, "GET", `${proxy.path_prefix}/a`)).status).toBe(404);
    expect(await usd(user.id)).toStrictEqual({ available: 0, held: 0 });

    expectProblem(await call(user, "GET", `${proxy.path_prefix}/a`), 402, "insufficient_funds");
    expect(bed.upstream.calls).toHaveLength(4);
    await recorded();
    const runs = await env.DB.prepare(
      "select status, error, charged from action_runs where user_id = ? order by created_at",
    )
      .bind(user.id)
      .all();
    expect(runs.results).toStrictEqual([
      { status: "failed", error: "upstream_failed", charged: 0 },
      { status: "failed", error: "upstream_unreachable", charged: 0 },
      { status: "failed", error: "upstream_timeout", charged: 0 },
      { status: "succeeded", error: null, charged: 1 },
    ]);
  });

  it("streams the upstream's body back as it comes", async () => {
    const proxy = await createProxy({ price: null });
    const user = await fundedUser(0);
    const encoder = new TextEncoder();
    bed.upstream.respond = () =>
      new Response(
        new ReadableStream({
          start(controller) {
            for (const chunk of ["one,", "two,", "three"])
              controller.enqueue(encoder.encode(chunk));
            controller.close();
          },
        }),
        { headers: { "content-type": "text/csv" } },
      );
    const res = await call(user, "GET", `${proxy.path_prefix}/stream`);
    expect(res.text).toBe("one,two,three");
    expect(res.headers.get("content-type")).toBe("text/csv");
  });
});

describe("proxy pieces", () => {
  it("joins upstream_url, the rest of the path and the query", () => {
    expect(upstreamTarget("https://q.internal/px", "/AAPL", "?range=1d")).toBe(
      "https://q.internal/px/AAPL?range=1d",
    );
    expect(upstreamTarget("https://q.internal/px/", "", "")).toBe("https://q.internal/px");
    expect(upstreamTarget("https://q.internal/px?key=1", "/a", "?b=2")).toBe(
      "https://q.internal/px/a?key=1&b=2",
    );
  });

  it("drops credentials, hop-by-hop and tollgate's own headers", () => {
    const headers = forwardedHeaders(
      new Headers({
        authorization: "Bearer x",
        "x-api-key": "k",
        connection: "keep-alive",
        "tollgate-signature": "forged",
        "cf-connecting-ip": "203.0.113.9",
        accept: "application/json",
      }),
    );
    expect(Object.fromEntries(headers)).toStrictEqual({
      accept: "application/json",
      "x-forwarded-for": "203.0.113.9",
    });
  });
});
