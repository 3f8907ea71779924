// POST /v1/actions/{slug}/runs against a stand-in upstream: one RPC admits, limits and holds;
// the upstream gets the signed call; a 2xx is charged, anything else released; exact under
// concurrency; replays answer the first run; runs are recorded and listed per user.
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { truncateUtf8 } from "../src/actions/records";
import {
  actionsTestBed,
  createAction,
  FEE,
  freezeAtNextMinute,
  fund,
  fundedUser,
  run,
  theAdmin,
  usd,
} from "./actions-helpers";
import { verifySignature } from "./fakes/upstream";
import { api, expectProblem, signup } from "./helpers";

const bed = actionsTestBed();

describe("a sync run", () => {
  it("calls the upstream signed, answers its output and charges the price", async () => {
    const action = await createAction();
    const user = await fundedUser(25);
    bed.upstream.respond = () => Response.json({ company: "Analytical Engines" });
    const res = await run(user, action.slug, { email: "ada@example.com" });
    expect(res.status, res.text).toBe(200);
    expect(res.body.output).toStrictEqual({ company: "Analytical Engines" });
    const runId = res.body.run.id;
    expect(res.body.run).toMatchObject({
      action: action.slug,
      status: "succeeded",
      charged: true,
      price: { amount: FEE, currency: "usd" },
      upstream_status: 200,
    });

    expect(bed.upstream.calls).toHaveLength(1);
    const call = bed.upstream.calls[0];
    if (!call) throw new Error("no upstream call");
    expect(call.method).toBe("POST");
    expect(call.url.pathname).toBe("/webhook/enrich");
    expect(JSON.parse(call.body)).toStrictEqual({
      run_id: runId,
      action: action.slug,
      user_id: user.id,
      input: { email: "ada@example.com" },
    });
    expect(call.headers.get("tollgate-run-id")).toBe(runId);
    expect(call.headers.get("idempotency-key")).toBe(runId);
    expect(call.headers.get("authorization")).toBeNull();
    const signed = await verifySignature(call, action.signing_secret);
    expect(signed.valid).toBe(true);
    expect(Math.abs(signed.t - Date.now() / 1000)).toBeLessThan(5);
    expect((await verifySignature(call, "tgsec_another")).valid).toBe(false);

    expect(await usd(user.id)).toStrictEqual({ available: 25 - FEE, held: 0 });
    const stored = await api<Record<string, unknown>>("GET", `/v1/actions/runs/${runId}`, {
      token: user.accessToken,
    });
    expect(stored.status).toBe(200);
    expect(stored.body).toMatchObject({
      id: runId,
      status: "succeeded",
      charged: true,
      upstream_status: 200,
      request: { body: call.body, truncated: false },
      response: {
        body: JSON.stringify({ company: "Analytical Engines" }),
        truncated: false,
        content_type: "application/json",
      },
      attempts: 1,
    });
    expect(typeof stored.body.duration_ms).toBe("number");
  });

  it("answers text output as text", async () => {
    const action = await createAction({ price: null });
    const user = await fundedUser(0);
    bed.upstream.respond = () =>
      new Response("done", { headers: { "content-type": "text/plain" } });
    const res = await run(user, action.slug);
    expect(res.status).toBe(200);
    expect(res.body.output).toBe("done");
    expect(res.body.run).toMatchObject({ price: null, charged: false });
  });

  it("60 concurrent runs on 25 fees' worth: exactly 25 succeed, 25 upstream calls", async () => {
    const action = await createAction({ rate_limit: { limit: 1000, window: "minute" } });
    const user = await fundedUser(25 * FEE);
    const answers = await Promise.all(Array.from({ length: 60 }, () => run(user, action.slug)));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(25);
    expect(statuses.filter((s) => s === 402)).toHaveLength(35);
    const refused = answers.find((a) => a.status === 402);
    if (!refused) throw new Error("no refusal");
    expectProblem(refused, 402, "insufficient_funds");
    expect(bed.upstream.calls).toHaveLength(25);
    expect(await usd(user.id)).toStrictEqual({ available: 0, held: 0 });
    const charged = await env.DB.prepare(
      "select count(*) as n from action_runs where user_id = ? and charged = 1",
    )
      .bind(user.id)
      .first<{ n: number }>();
    expect(charged?.n).toBe(25);
  });

  it("a non-2xx answer: 502 upstream_failed, the hold released, the run recorded failed", async () => {
    const action = await createAction();
    const user = await fundedUser(FEE);
    bed.upstream.respond = () => Response.json({ error: "bad lead" }, { status: 422 });
    const res = await run(user, action.slug);
    const problem = expectProblem<{ run_id: string }>(res, 502, "upstream_failed");
    expect(problem.detail).toContain("422");
    expect(await usd(user.id)).toStrictEqual({ available: FEE, held: 0 });
    const stored = await api("GET", `/v1/actions/runs/${problem.run_id}`, {
      token: user.accessToken,
    });
    expect(stored.body).toMatchObject({
      status: "failed",
      error: "upstream_failed",
      charged: false,
      upstream_status: 422,
      response: { body: JSON.stringify({ error: "bad lead" }) },
    });
  });

  it("an unreachable upstream: 502, released", async () => {
    const action = await createAction();
    const user = await fundedUser(FEE);
    bed.upstream.unreachable();
    const problem = expectProblem<{ run_id: string }>(
      await run(user, action.slug),
      502,
      "upstream_failed",
    );
    expect(await usd(user.id)).toStrictEqual({ available: FEE, held: 0 });
    const stored = await api("GET", `/v1/actions/runs/${problem.run_id}`, {
      token: user.accessToken,
    });
    expect(stored.body).toMatchObject({ status: "failed", error: "upstream_unreachable" });
  });

  it("past timeout_ms: 504 upstream_timeout, released (the clock moved, nothing slept)", async () => {
    const action = await createAction({ timeout_ms: 2_000 });
    const user = await fundedUser(FEE);
    bed.upstream.hang();
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const pending = run(user, action.slug);
    await bed.upstream.called();
    vi.advanceTimersByTime(1_999);
    expect(bed.upstream.calls[0]?.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    const res = await pending;
    vi.useRealTimers();
    const problem = expectProblem<{ run_id: string }>(res, 504, "upstream_timeout");
    expect(await usd(user.id)).toStrictEqual({ available: FEE, held: 0 });
    const stored = await api("GET", `/v1/actions/runs/${problem.run_id}`, {
      token: user.accessToken,
    });
    expect(stored.body).toMatchObject({ status: "failed", error: "upstream_timeout" });
  });

  it("402 insufficient_funds names the price and balance; the upstream is never called", async () => {
    const action = await createAction();
    const user = await fundedUser(FEE - 1);
    const problem = expectProblem<{ price: number; available: number }>(
      await run(user, action.slug),
      402,
      "insufficient_funds",
    );
    expect(problem).toMatchObject({ price: FEE, available: FEE - 1 });
    expect(bed.upstream.calls).toHaveLength(0);
  });
});

describe("limits", () => {
  it("an action without its own limit allows 10 a minute per user", async () => {
    const action = await createAction({ price: null });
    const user = await fundedUser(0);
    const other = await fundedUser(0);
    freezeAtNextMinute();
    const answers = [];
    for (let i = 0; i < 11; i++) answers.push(await run(user, action.slug));
    expect(answers.slice(0, 10).every((a) => a.status === 200)).toBe(true);
    const eleventh = answers[10];
    if (!eleventh) throw new Error("no eleventh run");
    const limited = expectProblem<{ violations: { window: string; limit: number }[] }>(
      eleventh,
      429,
      "rate_limited",
    );
    expect(limited.violations).toStrictEqual([
      expect.objectContaining({ window: expect.stringContaining("action:"), limit: 10 }),
    ]);
    expect(bed.upstream.calls).toHaveLength(10);
    expect((await run(other, action.slug)).status).toBe(200);
  });

  it("counts the action's cost against the plan's windows", async () => {
    const action = await createAction({ price: null, cost: 7 });
    const user = await fundedUser(0);
    freezeAtNextMinute();
    const res = await run(user, action.slug);
    expect(res.status).toBe(200);
    const ping = await api<{ windows: { minute: { used: number } } }>("GET", "/v1/ping", {
      token: user.accessToken,
    });
    expect(ping.body.windows.minute.used).toBe(8);
  });
});

describe("idempotency", () => {
  it("the same Idempotency-Key answers the first run: one call, one charge", async () => {
    const action = await createAction();
    const user = await fundedUser(5 * FEE);
    const key = { "idempotency-key": `order-${crypto.randomUUID()}` };
    const first = await run(user, action.slug, { n: 1 }, key);
    const again = await run(user, action.slug, { n: 2 }, key);
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.body).toStrictEqual(first.body);
    expect(bed.upstream.calls).toHaveLength(1);
    expect(await usd(user.id)).toStrictEqual({ available: 4 * FEE, held: 0 });
    // Another user's same key is theirs alone.
    const other = await fundedUser(FEE);
    expect((await run(other, action.slug, { n: 3 }, key)).body.run.id).not.toBe(first.body.run.id);
    expect(bed.upstream.calls).toHaveLength(2);
  });

  it("a replayed failure answers the same failure, and charges nothing", async () => {
    const action = await createAction();
    const user = await fundedUser(FEE);
    bed.upstream.respond = () => new Response("nope", { status: 500 });
    const key = { "idempotency-key": "retry-me" };
    const first = expectProblem<{ run_id: string }>(
      await run(user, action.slug, {}, key),
      502,
      "upstream_failed",
    );
    const again = expectProblem<{ run_id: string }>(
      await run(user, action.slug, {}, key),
      502,
      "upstream_failed",
    );
    expect(again.run_id).toBe(first.run_id);
    expect(bed.upstream.calls).toHaveLength(1);
    expect(await usd(user.id)).toStrictEqual({ available: FEE, held: 0 });
  });

  it("a key used for another action is a 409", async () => {
    const one = await createAction();
    const two = await createAction();
    const user = await fundedUser(3 * FEE);
    const key = { "idempotency-key": "shared" };
    expect((await run(user, one.slug, {}, key)).status).toBe(200);
    expectProblem(await run(user, two.slug, {}, key), 409, "conflict");
    expect(await usd(user.id)).toStrictEqual({ available: 2 * FEE, held: 0 });
  });
});

describe("refusals hold nothing", () => {
  it("401 without a credential, 404 for an unknown or disabled action, 400 for a bad body", async () => {
    const action = await createAction();
    const disabled = await createAction({ enabled: false });
    const user = await fundedUser(FEE);
    expectProblem(
      await api("POST", `/v1/actions/${action.slug}/runs`, { body: { input: 1 } }),
      401,
      "unauthorized",
    );
    expectProblem(await run(user, "no-such-action"), 404, "not_found");
    expectProblem(await run(user, disabled.slug), 404, "not_found");
    expectProblem(
      await api("POST", `/v1/actions/${action.slug}/runs`, {
        token: user.accessToken,
        rawBody: "{not json",
        headers: { "content-type": "application/json" },
      }),
      400,
      "malformed_json",
    );
    expect(bed.upstream.calls).toHaveLength(0);
    expect(await usd(user.id)).toStrictEqual({ available: FEE, held: 0 });
  });

  it("403 feature_not_in_plan for a gated action, the hold released", async () => {
    const action = await createAction({ required_feature: "priority_support" });
    const free = await signup("free");
    await fund(free, FEE);
    const problem = expectProblem<{ cheapest_plan: { code: string } }>(
      await run(free, action.slug),
      403,
      "feature_not_in_plan",
    );
    expect(problem.cheapest_plan.code).toBe("pro");
    expect(bed.upstream.calls).toHaveLength(0);
    expect(await usd(free.id)).toStrictEqual({ available: FEE, held: 0 });
    const pro = await fundedUser(FEE);
    expect((await run(pro, action.slug)).status).toBe(200);
  });
});

describe("run records", () => {
  it("lists the user's runs newest first in cursor pages; another user's run is a 404", async () => {
    const action = await createAction({ price: null });
    const user = await fundedUser(0);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await run(user, action.slug, { i })).body.run.id);
    const page1 = await api<{ data: { id: string }[]; next_cursor: string | null }>(
      "GET",
      "/v1/actions/runs?limit=2",
      { token: user.accessToken },
    );
    expect(page1.body.data.map((r) => r.id)).toStrictEqual([ids[2], ids[1]]);
    const page2 = await api<{ data: { id: string }[]; next_cursor: string | null }>(
      "GET",
      `/v1/actions/runs?limit=2&cursor=${page1.body.next_cursor}`,
      { token: user.accessToken },
    );
    expect(page2.body).toStrictEqual({
      data: [expect.objectContaining({ id: ids[0] })],
      next_cursor: null,
    });

    const stranger = await signup();
    expectProblem(
      await api("GET", `/v1/actions/runs/${ids[0]}`, { token: stranger.accessToken }),
      404,
      "not_found",
    );
    const theirs = await api<{ data: unknown[] }>("GET", "/v1/actions/runs", {
      token: stranger.accessToken,
    });
    expect(theirs.body.data).toHaveLength(0);

    const adminView = await api<{ data: { id: string; user_id: string }[] }>(
      "GET",
      `/v1/admin/actions/runs?user_id=${user.id}&action=${action.slug}`,
      { token: theAdmin().accessToken },
    );
    expect(adminView.body.data.map((r) => r.id)).toStrictEqual([ids[2], ids[1], ids[0]]);
  });

  it("stores bodies up to 16 KiB, marked truncated beyond", async () => {
    const action = await createAction({ price: null });
    const user = await fundedUser(0);
    const big = "é".repeat(10_000); // 20,000 bytes of UTF-8
    bed.upstream.respond = () => Response.json({ big });
    const res = await run(user, action.slug, { big });
    expect(res.status).toBe(200);
    expect((res.body.output as { big: string }).big).toBe(big);
    const stored = await api<{
      request: { body: string; truncated: boolean };
      response: { body: string; truncated: boolean };
    }>("GET", `/v1/actions/runs/${res.body.run.id}`, { token: user.accessToken });
    expect(stored.body.request.truncated).toBe(true);
    expect(stored.body.response.truncated).toBe(true);
    expect(new TextEncoder().encode(stored.body.response.body).byteLength).toBeLessThanOrEqual(
      16_384,
    );
    expect(stored.body.response.body.endsWith("é")).toBe(true);
  });
});

describe("privacy", () => {
  it("the export holds the user's runs; deleting the account drops their bodies", async () => {
    const action = await createAction({ price: null });
    const user = await fundedUser(0);
    const runId = (await run(user, action.slug, { email: "ada@example.com" })).body.run.id;
    const exported = await api<{ action_runs: { id: string; request: { body: string } }[] }>(
      "GET",
      "/v1/me/export",
      { token: user.accessToken },
    );
    expect(exported.body.action_runs.map((r) => r.id)).toStrictEqual([runId]);
    expect(exported.body.action_runs[0]?.request.body).toContain("ada@example.com");

    const deleted = await api("DELETE", "/v1/me", {
      token: user.accessToken,
      body: { password: user.password },
    });
    expect(deleted.status, deleted.text).toBe(204);
    const row = await env.DB.prepare(
      "select status, request_body, response_body from action_runs where id = ?",
    )
      .bind(runId)
      .first();
    expect(row).toStrictEqual({ status: "succeeded", request_body: null, response_body: null });
  });
});

describe("truncateUtf8", () => {
  it("cuts between characters, never inside one", () => {
    expect(truncateUtf8("abc", 3)).toStrictEqual({ body: "abc", truncated: false });
    expect(truncateUtf8("abcd", 3)).toStrictEqual({ body: "abc", truncated: true });
    expect(truncateUtf8("aé", 2)).toStrictEqual({ body: "a", truncated: true });
    expect(truncateUtf8("a😀b", 4)).toStrictEqual({ body: "a", truncated: true });
    expect(truncateUtf8("a😀b", 5)).toStrictEqual({ body: "a😀", truncated: true });
  });
});
