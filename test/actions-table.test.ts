// The route table each isolate keeps: loaded once, dropped at once by an admin write made here,
// and a change made by another isolate (D1 changed under it, the version bumped) seen within
// REFRESH_AFTER on a busy isolate (refreshed past the response) and never later than MAX_AGE.
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import {
  bumpVersionStatement,
  MAX_AGE,
  REFRESH_AFTER,
  RouteTable,
  routeOf,
  routeTable,
} from "../src/actions/table";
import { actions } from "../src/db/schema";
import { actionsTestBed, createAction, fundedUser, run } from "./actions-helpers";
import { expectProblem, testContext } from "./helpers";

actionsTestBed();

/** What an admin in another isolate does: the row changed and the version bumped, in D1 only. */
async function disableElsewhere(actionId: string, now: number) {
  const db = testContext().db;
  await db.batch([
    db.update(actions).set({ enabled: false, updatedAt: now }).where(eq(actions.id, actionId)),
    bumpVersionStatement(db, now),
  ]);
}

describe("the route table", () => {
  it("sees another isolate's change: not before REFRESH_AFTER, in the background after, at once past MAX_AGE", async () => {
    const action = await createAction();
    const t0 = Date.now();
    const ctx = (now: number) => ({ ...testContext(now) });
    expect((await routeTable(ctx(t0))).bySlug(action.slug)).toBeDefined();
    await disableElsewhere(action.id, t0);

    // Fresh enough: no D1 read at all.
    const reads = vi.spyOn(env.DB, "prepare");
    expect((await routeTable(ctx(t0 + REFRESH_AFTER))).bySlug(action.slug)).toBeDefined();
    expect(reads).not.toHaveBeenCalled();

    // Older: answered from memory now, the version re-read past the response.
    const deferred: Promise<unknown>[] = [];
    const stale = await routeTable(ctx(t0 + REFRESH_AFTER + 1), (work) => deferred.push(work));
    expect(stale.bySlug(action.slug)).toBeDefined();
    expect(deferred).toHaveLength(1);
    await Promise.all(deferred);
    expect((await routeTable(ctx(t0 + REFRESH_AFTER + 2))).bySlug(action.slug)).toBeUndefined();
  });

  it("an idle isolate's table past MAX_AGE is checked before it is used", async () => {
    const action = await createAction();
    const t0 = Date.now();
    expect((await routeTable(testContext(t0))).bySlug(action.slug)).toBeDefined();
    await disableElsewhere(action.id, t0);
    const deferred: Promise<unknown>[] = [];
    const table = await routeTable(testContext(t0 + MAX_AGE + 1), (work) => deferred.push(work));
    expect(table.bySlug(action.slug)).toBeUndefined();
    expect(deferred).toHaveLength(0);
  });

  it("an unchanged version re-reads one row, not the table", async () => {
    const action = await createAction();
    const t0 = Date.now();
    await routeTable(testContext(t0));
    const reads = vi.spyOn(env.DB, "prepare");
    await routeTable(testContext(t0 + MAX_AGE + 1));
    expect(reads).toHaveBeenCalledTimes(1);
    expect(String(reads.mock.calls[0]?.[0])).toContain("action_table_version");
    expect((await routeTable(testContext(t0 + MAX_AGE + 2))).bySlug(action.slug)).toBeDefined();
  });

  it("through the API: a run keeps working until the change reaches this isolate", async () => {
    const action = await createAction({ price: null });
    const user = await fundedUser(0);
    expect((await run(user, action.slug)).status).toBe(200);
    const t0 = Date.now();
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(t0);
    await disableElsewhere(action.id, t0);
    expect((await run(user, action.slug)).status).toBe(200);
    vi.setSystemTime(t0 + MAX_AGE + 1_000);
    expectProblem(await run(user, action.slug), 404, "not_found");
  });

  it("matches proxy prefixes by whole segments, the longest first", async () => {
    const base = await createAction({ kind: "proxy", path_prefix: "/api/q", price: null });
    const inner = await createAction({ kind: "proxy", path_prefix: "/api/q/v2", price: null });
    const rows = await testContext().db.select().from(actions).where(eq(actions.enabled, true));
    const table = new RouteTable(rows.map((row) => routeOf(row, "secret")));
    expect(table.forPath("/api/q/AAPL")).toMatchObject({
      rest: "/AAPL",
      route: { action: { id: base.id } },
    });
    expect(table.forPath("/api/q/v2/AAPL")).toMatchObject({
      rest: "/AAPL",
      route: { action: { id: inner.id } },
    });
    expect(table.forPath("/api/q")).toMatchObject({ rest: "" });
    expect(table.forPath("/api/qx")).toBeUndefined();
    expect(table.forPath("/api")).toBeUndefined();
  });
});
