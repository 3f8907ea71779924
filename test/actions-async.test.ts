// Async runs and the action-runs queue: 202 at once with the price held; the consumer calls the
// upstream, charges a success and releases a failure; retries only when the upstream could not
// be reached, never a second call or charge for a run that ended; the dead-letter consumer and
// the sweep end what nothing else will. And what a sync run could not settle at once.
import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { findRun } from "../src/actions/records";
import { actionRunSweep } from "../src/actions/sweep";
import type { ActionRunMessage } from "../src/env";
import { newId } from "../src/lib/ids";
import { HOUR } from "../src/lib/time";
import { QUEUES } from "../src/queues";
import { consume, userSubject } from "../src/ratelimit/client";
import {
  actionsTestBed,
  createAction,
  deliver,
  FEE,
  fundedUser,
  run,
  theAdmin,
  usd,
} from "./actions-helpers";
import { verifySignature } from "./fakes/upstream";
import { insertActionRun } from "./fixtures";
import { api, appEnv, limiterStub, type TestUser, testContext } from "./helpers";

const bed = actionsTestBed();

/** One message, delivered to the queue's consumer (`attempts`: its delivery count). */
const deliverOne = (queue: string, body: ActionRunMessage, attempts = 1) =>
  deliver([body], { queue, attempts });

async function stored(user: TestUser, id: string) {
  const res = await api<Record<string, unknown>>("GET", `/v1/actions/runs/${id}`, {
    token: user.accessToken,
  });
  return res.body;
}

async function startAsync(user: TestUser, slug: string) {
  const res = await run(user, slug, { lead: 1 });
  expect(res.status, res.text).toBe(202);
  const message = bed.sent.at(-1);
  if (message?.type !== "run") throw new Error("no run queued");
  return { res, message };
}

describe("async runs", () => {
  it("202 at once with the price held; the queue runs it signed and charges it", async () => {
    const action = await createAction({ mode: "async" });
    const user = await fundedUser(FEE);
    const { res, message } = await startAsync(user, action.slug);
    expect(res.body.run).toMatchObject({ status: "queued", mode: "async", charged: false });
    expect(bed.upstream.calls).toHaveLength(0);
    expect(await usd(user.id)).toStrictEqual({ available: 0, held: FEE });
    expect(await stored(user, res.body.run.id)).toMatchObject({ status: "queued" });

    const result = await deliverOne(QUEUES.actionRuns, message);
    expect(result.explicitAcks).toStrictEqual(["msg-0"]);
    expect(bed.upstream.calls).toHaveLength(1);
    const call = bed.upstream.calls[0];
    if (!call) throw new Error("no call");
    expect(JSON.parse(call.body)).toMatchObject({ run_id: res.body.run.id, input: { lead: 1 } });
    expect((await verifySignature(call, action.signing_secret)).valid).toBe(true);
    expect(await usd(user.id)).toStrictEqual({ available: 0, held: 0 });
    expect(await stored(user, res.body.run.id)).toMatchObject({
      status: "succeeded",
      charged: true,
      attempts: 1,
      upstream_status: 200,
    });
  });

  it("a run delivered after its hold expired is not run: no call, no charge, failed", async () => {
    const action = await createAction({ mode: "async" });
    const user = await fundedUser(FEE);
    const { res, message } = await startAsync(user, action.slug);
    expect(await usd(user.id)).toStrictEqual({ available: 0, held: FEE });
    // The queue is late by more than the hold's life: the limiter's alarm gives it back.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + HOUR + 1_000);
    expect(await runDurableObjectAlarm(limiterStub(userSubject(user.id)))).toBe(true);
    vi.useRealTimers();
    expect(await usd(user.id)).toStrictEqual({ available: FEE, held: 0 });

    const result = await deliverOne(QUEUES.actionRuns, message);
    expect(result.explicitAcks).toStrictEqual(["msg-0"]);
    expect(bed.upstream.calls).toHaveLength(0);
    expect(await usd(user.id)).toStrictEqual({ available: FEE, held: 0 });
    expect(await findRun(testContext().db, res.body.run.id)).toMatchObject({
      status: "failed",
      error: "hold_expired",
      charged: false,
    });
  });

  it("retries only an unreachable upstream; a run that ended is never called or charged again", async () => {
    const action = await createAction({ mode: "async" });
    const user = await fundedUser(2 * FEE);
    const { res, message } = await startAsync(user, action.slug);
    bed.upstream.unreachable();
    const first = await deliverOne(QUEUES.actionRuns, message, 1);
    expect(first.retryMessages.map((m) => m.msgId)).toStrictEqual(["msg-0"]);
    expect(await usd(user.id)).toStrictEqual({ available: FEE, held: FEE });
    expect(await stored(user, res.body.run.id)).toMatchObject({ status: "queued", attempts: 1 });

    bed.upstream.respond = () => Response.json({ ok: true });
    const second = await deliverOne(QUEUES.actionRuns, message, 2);
    expect(second.explicitAcks).toStrictEqual(["msg-0"]);
    expect(await stored(user, res.body.run.id)).toMatchObject({
      status: "succeeded",
      attempts: 2,
    });
    // Delivered once more (an ack that was lost): acknowledged, nothing called or charged.
    const third = await deliverOne(QUEUES.actionRuns, message, 3);
    expect(third.explicitAcks).toStrictEqual(["msg-0"]);
    expect(bed.upstream.calls).toHaveLength(2);
    expect(await usd(user.id)).toStrictEqual({ available: FEE, held: 0 });
  });

  it("an answer that is not 2xx ends the run failed and released, with no retry", async () => {
    const action = await createAction({ mode: "async" });
    const user = await fundedUser(FEE);
    const { res, message } = await startAsync(user, action.slug);
    bed.upstream.respond = () => new Response("broken", { status: 500 });
    const result = await deliverOne(QUEUES.actionRuns, message);
    expect(result.explicitAcks).toStrictEqual(["msg-0"]);
    expect(result.retryMessages).toStrictEqual([]);
    expect(await usd(user.id)).toStrictEqual({ available: FEE, held: 0 });
    expect(await stored(user, res.body.run.id)).toMatchObject({
      status: "failed",
      error: "upstream_failed",
      upstream_status: 500,
    });
  });

  it("a deleted action's queued run ends failed and released", async () => {
    const action = await createAction({ mode: "async" });
    const user = await fundedUser(FEE);
    const { res, message } = await startAsync(user, action.slug);
    await api("DELETE", `/v1/admin/actions/${action.id}`, { token: theAdmin().accessToken });
    expect((await deliverOne(QUEUES.actionRuns, message)).explicitAcks).toStrictEqual(["msg-0"]);
    expect(bed.upstream.calls).toHaveLength(0);
    expect(await usd(user.id)).toStrictEqual({ available: FEE, held: 0 });
    expect(await stored(user, res.body.run.id)).toMatchObject({
      status: "failed",
      error: "action_unavailable",
    });
  });

  it("after the last retry, the dead-letter consumer ends the run and releases the hold", async () => {
    const action = await createAction({ mode: "async" });
    const user = await fundedUser(FEE);
    const { res, message } = await startAsync(user, action.slug);
    const result = await deliverOne(QUEUES.actionRunsDlq, message, 4);
    expect(result.explicitAcks).toStrictEqual(["msg-0"]);
    expect(await usd(user.id)).toStrictEqual({ available: FEE, held: 0 });
    expect(await stored(user, res.body.run.id)).toMatchObject({
      status: "failed",
      error: "upstream_unreachable",
    });
  });
});

describe("what a sync run hands to the queue", () => {
  it("a capture the limiter could not take is queued, and settled by the consumer", async () => {
    const action = await createAction();
    const user = await fundedUser(FEE);
    const original = appEnv.RATE_LIMITER.get.bind(appEnv.RATE_LIMITER);
    const get = vi.spyOn(appEnv.RATE_LIMITER, "get").mockImplementation((id) => {
      const stub = original(id);
      return new Proxy(stub, {
        get: (target, prop) =>
          prop === "captureHold"
            ? () => Promise.reject(new Error("limiter unreachable"))
            : Reflect.get(target, prop),
      });
    });
    const res = await run(user, action.slug);
    expect(res.status).toBe(200);
    get.mockRestore();
    expect(await usd(user.id)).toStrictEqual({ available: 0, held: FEE });
    expect(bed.sent).toStrictEqual([
      { type: "settle", run_id: res.body.run.id, user_id: user.id, capture: true },
    ]);
    const settle = bed.sent[0];
    if (!settle) throw new Error("nothing queued");
    expect((await deliverOne(QUEUES.actionRuns, settle)).explicitAcks).toStrictEqual(["msg-0"]);
    expect(await usd(user.id)).toStrictEqual({ available: 0, held: 0 });
  });

  it("a record D1 could not take arrives through the queue", async () => {
    const action = await createAction({ price: null });
    const user = await fundedUser(0);
    const runId = (await run(user, action.slug)).body.run.id;
    const record = await findRun(testContext().db, runId);
    if (!record) throw new Error("not recorded");
    await env.DB.prepare("delete from action_runs where id = ?").bind(runId).run();
    const result = await deliverOne(QUEUES.actionRuns, { type: "record", run: record });
    expect(result.explicitAcks).toStrictEqual(["msg-0"]);
    expect(await findRun(testContext().db, runId)).toStrictEqual(record);
  });
});

describe("the sweep", () => {
  it("ends a run left open for an hour, releasing its hold", async () => {
    const user = await fundedUser(FEE);
    const runId = newId("arn");
    const now = Date.now();
    // A run whose isolate died mid-call: admitted with its hold, recorded running, never ended.
    const admitted = await consume(appEnv, {
      subject: userSubject(user.id),
      now,
      cost: 1,
      admission: { reference: runId, hold: { amount: FEE, currency: "usd" } },
    });
    expect(admitted.outcome).toBe("allowed");
    expect(await usd(user.id)).toStrictEqual({ available: 0, held: FEE });
    await insertActionRun(user.id, {
      id: runId,
      status: "running",
      upstreamStatus: null,
      priceAmount: FEE,
      priceCurrency: "usd",
      createdAt: now - 2 * HOUR,
      updatedAt: now - 2 * HOUR,
    });
    const sweep = () => actionRunSweep({ ...testContext(), cursor: null, setCursor: () => {} });
    expect(await sweep()).toMatchObject({ abandoned: 1, released: 1 });
    expect(await usd(user.id)).toStrictEqual({ available: FEE, held: 0 });
    expect(await stored(user, runId)).toMatchObject({ status: "failed", error: "abandoned" });
    expect(await sweep()).toMatchObject({ abandoned: 0 });
  });
});
