// Low-balance alerts: the user picks a threshold per currency; a movement that takes `available`
// from at least it to below it is reported once on the usage-alerts queue (by the object's alarm),
// and its consumer notifies once per crossing (dedupe key wallet_low:<currency>:<ledger seq>),
// however often the message comes. A top-up back above it arms the next crossing.
import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { UsageAlertMessage } from "../src/env";
import { QUEUES } from "../src/queues";
import { userSubject } from "../src/ratelimit/client";
import {
  api,
  expectProblem,
  holdQueues,
  limiterStub,
  runQueueBatch,
  signup,
  signupAdmin,
  type TestUser,
} from "./helpers";
import { fund, spend } from "./wallet-helpers";

const PATH = "/v1/wallet/low-balance-alert";

async function lowNotices(userId: string) {
  const { results } = await env.DB.prepare(
    "select type, title, body, dedupe_key from notifications where user_id = ? and dedupe_key like 'wallet_low:%' order by created_at, rowid",
  )
    .bind(userId)
    .all<{ type: string; title: string; body: string; dedupe_key: string }>();
  return results;
}

/** Where the object's alarm hands its wallet work (the crossings among it) to the queues. */
async function tend(user: TestUser) {
  await runDurableObjectAlarm(limiterStub(userSubject(user.id)));
}

async function seqOf(user: TestUser, reference: string) {
  const rows = await limiterStub(userSubject(user.id)).walletEntries(1000, null);
  const row = rows.find((r) => r.reference === reference && r.type !== "capture");
  if (!row) throw new Error(`no entry for ${reference}`);
  return row.seq;
}

describe("low-balance alerts", () => {
  it("notify once per crossing below the chosen threshold, and again after a top-up", async () => {
    const held = holdQueues();
    const user = await signup("lowbal");
    const admin = await signupAdmin();
    const token = user.accessToken;
    expect((await api("GET", PATH, { token })).body).toEqual({ thresholds: [] });
    const set = await api("PUT", PATH, { token, body: { currency: "USD", threshold: 1000 } });
    expect(set.status, set.text).toBe(200);
    expect(set.body).toEqual({ thresholds: [{ currency: "usd", threshold: 1000 }] });
    expect((await api("GET", PATH, { token })).body).toEqual(set.body);

    const stub = limiterStub(userSubject(user.id));
    await fund(stub, userSubject(user.id), 2500);
    await spend(user.id, 1000); // 1500 left: above
    await tend(user);
    expect(held.usageAlerts).toEqual([]);
    const crossing = await spend(user.id, 1000); // 500 left: crossed
    await spend(user.id, 100); // 400: still below, nothing new
    await tend(user);
    const first: UsageAlertMessage = {
      kind: "wallet_low",
      user_id: user.id,
      currency: "usd",
      threshold: 1000,
      available: 500,
      seq: await seqOf(user, crossing),
      at: expect.any(Number),
    };
    expect(held.usageAlerts).toEqual([first]);
    // Sent once: the next alarm has nothing left to send.
    await fund(stub, userSubject(user.id), 1, Date.now());
    await tend(user);
    expect(held.usageAlerts).toHaveLength(1);

    // Consumed twice (a redelivery): one notification.
    expect((await runQueueBatch(QUEUES.usageAlerts, held.usageAlerts)).explicitAcks).toHaveLength(
      1,
    );
    expect((await runQueueBatch(QUEUES.usageAlerts, held.usageAlerts)).explicitAcks).toHaveLength(
      1,
    );
    const seq = await seqOf(user, crossing);
    expect(await lowNotices(user.id)).toEqual([
      {
        type: "billing",
        title: "Your wallet balance is low",
        body: "Your wallet has $5.00 available, below the $10.00 you chose. Top up to keep paid calls running.",
        dedupe_key: `wallet_low:usd:${seq}`,
      },
    ]);

    // Back above (401 + 1000 = 1401), then an admin's debit crosses again: a second notice.
    await fund(stub, userSubject(user.id), 1000, Date.now());
    const debit = await api<{ reference: string }>(
      "POST",
      `/v1/admin/users/${user.id}/wallet/adjustments`,
      { token: admin.accessToken, body: { amount: -500, currency: "usd", reason: "test" } },
    );
    expect(debit.status, debit.text).toBe(201);
    await tend(user);
    expect(held.usageAlerts).toHaveLength(2);
    expect(held.usageAlerts[1]).toMatchObject({ kind: "wallet_low", available: 901 });
    await runQueueBatch(QUEUES.usageAlerts, held.usageAlerts);
    const notices = await lowNotices(user.id);
    expect(notices).toHaveLength(2);
    expect(new Set(notices.map((n) => n.dedupe_key)).size).toBe(2);

    // Cleared: no more alerts in that currency.
    const cleared = await api("PUT", PATH, { token, body: { currency: "usd", threshold: null } });
    expect(cleared.body).toEqual({ thresholds: [] });
    await fund(stub, userSubject(user.id), 1000, Date.now());
    await spend(user.id, 1500);
    await tend(user);
    expect(held.usageAlerts).toHaveLength(2);
  });

  it.each([
    [{ currency: "usd", threshold: 0 }, "threshold"],
    [{ currency: "usd", threshold: 1.5 }, "threshold"],
    [{ currency: "usd" }, "threshold"],
    [{ currency: "us", threshold: 100 }, "currency"],
    [{ threshold: 100 }, "currency"],
  ])("%o is a 400 naming %s, and nothing is stored", async (body, field) => {
    const user = await signup("lowbal-bad");
    const res = await api("PUT", PATH, { token: user.accessToken, body });
    const problem = expectProblem(res, 400, "invalid_request");
    expect(problem.errors?.map((e) => e.path)).toEqual([field]);
    expect((await api("GET", PATH, { token: user.accessToken })).body).toEqual({ thresholds: [] });
  });
});
