// A client that goes away mid-run: Workers then cancel whatever the request did not hand to
// waitUntil. The run's (and the proxied call's) settlement must be in work registered before
// the upstream answered, so the capture happens with no one reading the answer.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import { actionsTestBed, createAction, createProxy, FEE, fundedUser, usd } from "./actions-helpers";
import type { TestUser } from "./helpers";

const bed = actionsTestBed();

/**
 * Sends `request` and "disconnects" once the upstream has it: the response is never read, and
 * only the work registered with waitUntil until then is waited for (the rest, a cancelled
 * client's, may not run). Answers the run id the upstream was called with, and `later`: once
 * the request is over, whether it registered work after the upstream had it (it must not: a
 * disconnected client's request never gets that far).
 */
async function disconnectMidCall(
  request: Request,
  answer: () => Response,
): Promise<{ runId: string; later: () => Promise<number> }> {
  const real = createExecutionContext();
  const registered: Promise<unknown>[] = [];
  const waitUntil = real.waitUntil.bind(real);
  const ctx: ExecutionContext = Object.assign(Object.create(real), {
    waitUntil(work: Promise<unknown>) {
      registered.push(work);
      waitUntil(work);
    },
  });
  let open = () => {};
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  bed.upstream.respond = async () => {
    await gate;
    return answer();
  };
  const response = worker.fetch(request, env, ctx);
  await bed.upstream.called();
  const beforeTheAnswer = [...registered];
  open();
  await Promise.all(beforeTheAnswer);
  const runId = bed.upstream.calls[0]?.headers.get("tollgate-run-id");
  if (!runId) throw new Error("no run id");
  // What the test checks first is what that work did; the cancelled part finishes only so
  // that nothing outlives the test.
  const later = async () => {
    await response;
    await waitOnExecutionContext(real);
    return registered.length - beforeTheAnswer.length;
  };
  return { runId, later };
}

function post(user: TestUser, path: string, body?: unknown): Request {
  return new Request(`https://api.test${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${user.accessToken}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

describe("a client that disconnects mid-run", () => {
  it("a sync run is still captured and recorded", async () => {
    const action = await createAction();
    const user = await fundedUser(25);
    const { runId, later } = await disconnectMidCall(
      post(user, `/v1/actions/${action.slug}/runs`, { input: { n: 1 } }),
      () => Response.json({ ok: true }),
    );
    expect(await usd(user.id)).toStrictEqual({ available: 25 - FEE, held: 0 });
    const stored = await env.DB.prepare("select status, charged from action_runs where id = ?")
      .bind(runId)
      .first();
    expect(stored).toStrictEqual({ status: "succeeded", charged: 1 });
    expect(await later()).toBe(0);
  });

  it("a failed sync run is still released", async () => {
    const action = await createAction();
    const user = await fundedUser(25);
    const { later } = await disconnectMidCall(
      post(user, `/v1/actions/${action.slug}/runs`, { input: null }),
      () => new Response("no", { status: 500 }),
    );
    expect(await usd(user.id)).toStrictEqual({ available: 25, held: 0 });
    expect(await later()).toBe(0);
  });

  it("a proxied call is still captured on its status, its body never read", async () => {
    const proxy = await createProxy({ price: { amount: FEE, currency: "usd" } });
    const user = await fundedUser(25);
    const { runId, later } = await disconnectMidCall(
      post(user, `${proxy.path_prefix}/AAPL`),
      () => new Response("quote: 42"),
    );
    expect(await usd(user.id)).toStrictEqual({ available: 25 - FEE, held: 0 });
    expect(bed.sent).toContainEqual(
      expect.objectContaining({
        type: "record",
        run: expect.objectContaining({ id: runId, status: "succeeded", charged: true }),
      }),
    );
    expect(await later()).toBe(0);
  });
});
