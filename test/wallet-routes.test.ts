// /v1/wallet through the Worker's fetch: balances and the ledger from the user's object, pages
// newest first, input validation naming the field, another user's data never shown, and the
// admin's view, adjustments and list.
import { describe, expect, it } from "vitest";
import { userSubject } from "../src/ratelimit/client";
import {
  api,
  count,
  expectProblem,
  limiterStub,
  signup,
  signupAdmin,
  type TestUser,
} from "./helpers";
import { expectLedgerConsistent, fund, ledgerOf } from "./wallet-helpers";

type Entry = { id: string; type: string; amount: number; balance_after: number; reference: string };

async function funded(label: string, amounts: number[]) {
  const user = await signup(label);
  const stub = limiterStub(userSubject(user.id));
  for (const amount of amounts) await fund(stub, userSubject(user.id), amount, Date.now());
  return { user, stub };
}

const wallet = (user: TestUser) =>
  api<{ balances: { currency: string; available: number; held: number }[] }>("GET", "/v1/wallet", {
    token: user.accessToken,
  });

describe("GET /v1/wallet and /v1/wallet/transactions", () => {
  it("a new user has no balances; a credited one sees them at once, from the object", async () => {
    const user = await signup("wallet");
    expect((await wallet(user)).body).toEqual({ balances: [] });
    await fund(limiterStub(userSubject(user.id)), userSubject(user.id), 750, Date.now());
    const res = await wallet(user);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ balances: [{ currency: "usd", available: 750, held: 0 }] });
  });

  it("pages the ledger newest first with a cursor, every entry once", async () => {
    const { user } = await funded("pages", [100, 200, 300, 400, 500]);
    const seen: Entry[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=2&cursor=${cursor}` : "?limit=2";
      const res = await api<{ data: Entry[]; next_cursor: string | null }>(
        "GET",
        `/v1/wallet/transactions${query}`,
        { token: user.accessToken },
      );
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.data);
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(seen.map((e) => e.amount)).toEqual([500, 400, 300, 200, 100]);
    expect(seen.map((e) => e.balance_after)).toEqual([1500, 1000, 600, 300, 100]);
    expect(seen.every((e) => e.type === "top_up")).toBe(true);
  });

  it("a cursor it did not give out is a 400 naming the cursor", async () => {
    const user = await signup("cursor");
    const res = await api("GET", "/v1/wallet/transactions?cursor=bm9wZQ", {
      token: user.accessToken,
    });
    const problem = expectProblem(res, 400, "invalid_request");
    expect(problem.errors?.map((e) => e.path)).toEqual(["cursor"]);
  });

  it("needs a credential", async () => {
    expectProblem(await api("GET", "/v1/wallet"), 401, "unauthorized");
  });
});

describe("the data export", () => {
  it("holds the wallet: balances and the whole ledger, newest first", async () => {
    const { user } = await funded("export", [300, 200]);
    const res = await api<{
      wallet: { balances: unknown[]; transactions: Entry[]; top_ups: unknown[] };
    }>("GET", "/v1/me/export", { token: user.accessToken });
    expect(res.status).toBe(200);
    expect(res.body.wallet.balances).toEqual([{ currency: "usd", available: 500, held: 0 }]);
    expect(res.body.wallet.transactions.map((e) => e.amount)).toEqual([200, 300]);
    expect(res.body.wallet.top_ups).toEqual([]);
  });
});

describe("POST /v1/wallet/top-ups validation", () => {
  const valid = {
    amount: 1000,
    currency: "usd",
    provider: "stripe",
    success_url: "https://app.test/ok",
    cancel_url: "https://app.test/cancel",
  };
  it.each([
    [{ amount: 499 }, "amount"],
    [{ amount: 100_001 }, "amount"],
    [{ amount: 10.5 }, "amount"],
    [{ currency: "dollars" }, "currency"],
    [{ provider: "bitcoin" }, "provider"],
    [{ success_url: "javascript:alert(1)" }, "success_url"],
  ])("%o is a 400 naming %s, and nothing is started", async (change, field) => {
    const user = await signup("topup-input");
    const res = await api("POST", "/v1/wallet/top-ups", {
      token: user.accessToken,
      body: { ...valid, ...change },
    });
    const problem = expectProblem(res, 400, "invalid_request");
    expect(problem.errors?.map((e) => e.path)).toEqual([field]);
    expect(await count("select count(*) as n from wallet_top_ups where user_id = ?", user.id)).toBe(
      0,
    );
  });
});

describe("auto-recharge settings", () => {
  it("are off until set; enabling needs a saved card (409); bad input names the field", async () => {
    const user = await signup("recharge-settings");
    const res = await api("GET", "/v1/wallet/auto-recharge", { token: user.accessToken });
    expect(res.body).toEqual({
      enabled: false,
      threshold: 0,
      amount: 0,
      currency: "usd",
      pending: false,
    });
    const settings = { enabled: true, threshold: 500, amount: 2000, currency: "usd" };
    const refused = await api("PUT", "/v1/wallet/auto-recharge", {
      token: user.accessToken,
      body: settings,
    });
    expectProblem(refused, 409, "conflict");
    const bad = await api("PUT", "/v1/wallet/auto-recharge", {
      token: user.accessToken,
      body: { ...settings, threshold: -1 },
    });
    expect(expectProblem(bad, 400, "invalid_request").errors?.map((e) => e.path)).toEqual([
      "threshold",
    ]);
    const off = await api("PUT", "/v1/wallet/auto-recharge", {
      token: user.accessToken,
      body: { ...settings, enabled: false },
    });
    expect(off.status).toBe(200);
    expect(off.body).toEqual({ ...settings, enabled: false, pending: false });
  });
});

describe("admin wallets", () => {
  it("shows a user's wallet; adjusts it (201, audit-logged); never below zero (409)", async () => {
    const admin = await signupAdmin();
    const { user, stub } = await funded("adjusted", [1000]);
    const token = admin.accessToken;
    const credit = await api<Entry>("POST", `/v1/admin/users/${user.id}/wallet/adjustments`, {
      token,
      body: { amount: 250, currency: "USD", reason: "goodwill" },
    });
    expect(credit.status, credit.text).toBe(201);
    expect(credit.body).toMatchObject({ type: "adjustment", amount: 250, balance_after: 1250 });
    const debit = await api("POST", `/v1/admin/users/${user.id}/wallet/adjustments`, {
      token,
      body: { amount: -1251, currency: "usd", reason: "too much" },
    });
    expect(expectProblem(debit, 409, "conflict").detail).toContain("1250");
    const zero = await api("POST", `/v1/admin/users/${user.id}/wallet/adjustments`, {
      token,
      body: { amount: 0, currency: "usd", reason: "nothing" },
    });
    expect(expectProblem(zero, 400, "invalid_request").errors?.map((e) => e.path)).toEqual([
      "amount",
    ]);
    expect(
      await count(
        "select count(*) as n from audit_log where action = 'wallet.adjust' and target_id = ?",
        user.id,
      ),
    ).toBe(1);

    const view = await api<{ balances: unknown[]; transactions: Entry[] }>(
      "GET",
      `/v1/admin/users/${user.id}/wallet`,
      { token },
    );
    expect(view.status).toBe(200);
    expect(view.body.balances).toEqual([{ currency: "usd", available: 1250, held: 0 }]);
    expect(view.body.transactions.map((e) => e.type)).toEqual(["adjustment", "top_up"]);
    expectLedgerConsistent(await ledgerOf(stub), await stub.walletBalances());
  });

  it("404 for a user that does not exist; 403 for non-admins", async () => {
    const admin = await signupAdmin();
    const missing = "usr_000000000000000000000000aa";
    expectProblem(
      await api("GET", `/v1/admin/users/${missing}/wallet`, { token: admin.accessToken }),
      404,
      "not_found",
    );
    expectProblem(
      await api("POST", `/v1/admin/users/${missing}/wallet/adjustments`, {
        token: admin.accessToken,
        body: { amount: 5, currency: "usd", reason: "x" },
      }),
      404,
      "not_found",
    );
    const user = await signup("not-admin");
    expectProblem(
      await api("GET", `/v1/admin/users/${user.id}/wallet`, { token: user.accessToken }),
      403,
      "forbidden",
    );
  });

  it("lists wallets from D1's copy, searchable by email or id, in pages", async () => {
    const admin = await signupAdmin();
    const a = await funded("listed-a", [100]);
    const b = await funded("listed-b", [200]);
    for (const { stub } of [a, b]) await stub.flush(Date.now() + 5_000);
    const byEmail = await api<{ data: { user_id: string; balances: unknown[] }[] }>(
      "GET",
      `/v1/admin/wallets?q=${encodeURIComponent(a.user.email.toUpperCase())}`,
      { token: admin.accessToken },
    );
    expect(byEmail.body.data).toEqual([
      expect.objectContaining({
        user_id: a.user.id,
        balances: [{ currency: "usd", available: 100, held: 0 }],
      }),
    ]);
    const byId = await api<{ data: { user_id: string }[] }>(
      "GET",
      `/v1/admin/wallets?q=${b.user.id}`,
      {
        token: admin.accessToken,
      },
    );
    expect(byId.body.data.map((w) => w.user_id)).toEqual([b.user.id]);
    const first = await api<{ data: { user_id: string }[]; next_cursor: string | null }>(
      "GET",
      "/v1/admin/wallets?limit=1",
      { token: admin.accessToken },
    );
    expect(first.body.data).toHaveLength(1);
    expect(first.body.next_cursor).not.toBeNull();
  });
});
