// What the actions-*.test.ts files share: an admin who creates actions through the API (each
// with a fresh slug, so no test sees another's), users with money in their wallet, runs.
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, vi } from "vitest";
import type { ActionRunMessage } from "../src/env";
import worker from "../src/index";
import { QUEUES } from "../src/queues";
import { moveFunds, walletBalances } from "../src/ratelimit/client";
import { FakeUpstream, installUpstream, UPSTREAM } from "./fakes/upstream";
import { insertSubscription } from "./fixtures";
import {
  type ApiResponse,
  api,
  appEnv,
  signup,
  signupAdmin,
  type TestUser,
  testContext,
} from "./helpers";

export const FEE = 10;

export interface CreatedAction {
  id: string;
  slug: string;
  signing_secret: string;
  [field: string]: unknown;
}

let admin: TestUser | null = null;

/** What each test of an actions-*.test.ts file starts with (see actionsTestBed). */
export class TestBed {
  upstream = new FakeUpstream();
  /** What was sent to the action-runs queue, held from its consumer. */
  sent: ActionRunMessage[] = [];
}

/**
 * Before each test: an admin (theAdmin), the stand-in upstream installed over fetch, and the
 * action-runs queue held (holdActionRuns).
 */
export function actionsTestBed(): TestBed {
  const bed = new TestBed();
  beforeEach(async () => {
    bed.upstream = installUpstream();
    bed.sent = holdActionRuns();
    admin = await signupAdmin();
  });
  return bed;
}

export function theAdmin(): TestUser {
  if (!admin) throw new Error("call actionsTestBed() in the test file");
  return admin;
}

export const uniqueSlug = (label = "act") => `${label}-${crypto.randomUUID().slice(0, 8)}`;

/** A sync run action priced at FEE cents that the stand-in upstream answers, unless `fields` say otherwise. */
export async function createAction(fields: Record<string, unknown> = {}): Promise<CreatedAction> {
  const res = await api<CreatedAction>("POST", "/v1/admin/actions", {
    token: theAdmin().accessToken,
    body: {
      slug: uniqueSlug(),
      name: "Enrich a lead",
      kind: "run",
      upstream_url: `${UPSTREAM}/webhook/enrich`,
      price: { amount: FEE, currency: "usd" },
      ...fields,
    },
  });
  if (res.status !== 201) throw new Error(`action create failed: ${res.status} ${res.text}`);
  return res.body;
}

/** A proxy action under a fresh /api/ prefix, forwarding to the stand-in's /px. */
export async function createProxy(fields: Record<string, unknown> = {}): Promise<CreatedAction> {
  return createAction({
    kind: "proxy",
    path_prefix: `/api/${uniqueSlug("quotes")}`,
    upstream_url: `${UPSTREAM}/px`,
    ...fields,
  });
}

/** A user on the pro plan (200 a minute) with `amount` cents in their wallet. */
export async function fundedUser(amount: number): Promise<TestUser> {
  const user = await signup("payer");
  await insertSubscription(user.id);
  if (amount > 0) await fund(user, amount);
  return user;
}

export async function fund(user: TestUser, amount: number): Promise<void> {
  const result = await moveFunds(testContext(), user.id, {
    type: "top_up",
    money: { amount, currency: "usd" },
    reference: `pi_${crypto.randomUUID()}`,
  });
  if (result.outcome !== "applied") throw new Error(`top-up refused: ${result.outcome}`);
}

/** The user's usd balance as the object holds it. */
export async function usd(userId: string): Promise<{ available: number; held: number }> {
  const balance = (await walletBalances(appEnv, userId)).find((b) => b.currency === "usd");
  return { available: balance?.available ?? 0, held: balance?.held ?? 0 };
}

export interface RunAnswer {
  run: { id: string; status: string; charged: boolean; [field: string]: unknown };
  output?: unknown;
}

export function run(
  user: TestUser,
  slug: string,
  input: unknown = { email: "ada@example.com" },
  headers: Record<string, string> = {},
): Promise<ApiResponse<RunAnswer>> {
  return api<RunAnswer>("POST", `/v1/actions/${slug}/runs`, {
    token: user.accessToken,
    body: { input },
    headers,
  });
}

/**
 * Stops the request clock at the start of the coming minute (tokens signed just now stay valid):
 * a test that counts a minute's window cannot straddle two windows.
 */
export function freezeAtNextMinute(): number {
  const at = Math.ceil((Date.now() + 1) / 60_000) * 60_000 + 1_000;
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(at);
  return at;
}

/**
 * Keeps what is sent to the action-runs queue from its consumer (which would run in the
 * background): the test reads the messages and delivers them itself.
 */
export function holdActionRuns(): ActionRunMessage[] {
  const sent: ActionRunMessage[] = [];
  vi.spyOn(appEnv.ACTION_RUNS, "send").mockImplementation(async (body) => {
    sent.push(body);
    return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } };
  });
  return sent;
}

/** Delivers messages to a queue's consumer as one batch; answers what it acked and retried. */
export async function deliver(
  bodies: ActionRunMessage[],
  { queue = QUEUES.actionRuns, attempts = 1 }: { queue?: string; attempts?: number } = {},
) {
  const batch = createMessageBatch<ActionRunMessage>(
    queue,
    bodies.map((body, i) => ({ id: `msg-${i}`, timestamp: new Date(), attempts, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  return getQueueResult(batch, ctx);
}
