// Actions as admins manage them: the fields, the signing secret answered once (on
// create and rotate) and stored sealed, the rules between fields, conflicts, the audit log; and
// GET /v1/actions, what a user may run.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { actionsTestBed, createAction, createProxy, theAdmin, uniqueSlug } from "./actions-helpers";
import { UPSTREAM } from "./fakes/upstream";
import { insertSubscription } from "./fixtures";
import { api, expectProblem, signup } from "./helpers";

actionsTestBed();

const admin = () => ({ token: theAdmin().accessToken });

describe("admin actions", () => {
  it("creates an action with the issue's fields and defaults, answering the secret once", async () => {
    const slug = uniqueSlug();
    const res = await api<Record<string, unknown>>("POST", "/v1/admin/actions", {
      ...admin(),
      body: {
        slug,
        name: "Enrich",
        kind: "run",
        upstream_url: `${UPSTREAM}/hook`,
        price: { amount: 10, currency: "USD" },
      },
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({
      slug,
      name: "Enrich",
      description: null,
      kind: "run",
      upstream_url: `${UPSTREAM}/hook`,
      method: "POST",
      path_prefix: null,
      price: { amount: 10, currency: "usd" },
      cost: 1,
      timeout_ms: 10_000,
      mode: "sync",
      rate_limit: null,
      required_feature: null,
      enabled: true,
    });
    const secret = res.body.signing_secret as string;
    expect(secret).toMatch(/^tgsec_[A-Za-z0-9_-]{43}$/);
    const id = res.body.id as string;

    const one = await api("GET", `/v1/admin/actions/${id}`, admin());
    expect(one.status).toBe(200);
    expect(one.body).not.toHaveProperty("signing_secret");
    const list = await api<{ data: Record<string, unknown>[] }>(
      "GET",
      "/v1/admin/actions",
      admin(),
    );
    expect(list.body.data.find((a) => a.id === id)).not.toHaveProperty("signing_secret");
    expect(list.text).not.toContain(secret);

    // Stored sealed: neither the secret nor anything derived from it in plain sight.
    const row = await env.DB.prepare("select signing_secret from actions where id = ?")
      .bind(id)
      .first<{ signing_secret: string }>();
    expect(row?.signing_secret).toMatch(/^v1\./);
    expect(row?.signing_secret).not.toContain(secret);
  });

  it("rotates the secret: answered once, a new one, audit-logged without it", async () => {
    const action = await createAction();
    const res = await api<{ signing_secret: string }>(
      "POST",
      `/v1/admin/actions/${action.id}/rotate-secret`,
      admin(),
    );
    expect(res.status).toBe(200);
    expect(res.body.signing_secret).not.toBe(action.signing_secret);
    const audit = await env.DB.prepare(
      "select action, data from audit_log where target_id = ? order by created_at, rowid",
    )
      .bind(action.id)
      .all<{ action: string; data: string }>();
    expect(audit.results.map((r) => r.action)).toStrictEqual([
      "action.create",
      "action.rotate_secret",
    ]);
    for (const entry of audit.results) {
      expect(entry.data).not.toContain(action.signing_secret);
      expect(entry.data).not.toContain(res.body.signing_secret);
    }
  });

  it("updates and deletes, audit-logged; 404 for an unknown id", async () => {
    const action = await createAction();
    const patched = await api("PATCH", `/v1/admin/actions/${action.id}`, {
      ...admin(),
      body: { rate_limit: { limit: 3, window: "hour" }, price: null, enabled: false },
    });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body).toMatchObject({
      rate_limit: { limit: 3, window: "hour" },
      price: null,
      enabled: false,
    });
    expect((await api("DELETE", `/v1/admin/actions/${action.id}`, admin())).status).toBe(204);
    expectProblem(await api("GET", `/v1/admin/actions/${action.id}`, admin()), 404, "not_found");
    const actions = await env.DB.prepare(
      "select action from audit_log where target_id = ? order by created_at, rowid",
    )
      .bind(action.id)
      .all<{ action: string }>();
    expect(actions.results.map((r) => r.action)).toStrictEqual([
      "action.create",
      "action.update",
      "action.delete",
    ]);
  });

  it("refuses what does not fit together, naming the field", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ kind: "proxy" }, "path_prefix"],
      [{ kind: "proxy", path_prefix: "/api/x", mode: "async" }, "mode"],
      [{ kind: "run", path_prefix: "/api/x" }, "path_prefix"],
      [{ kind: "run", method: "GET" }, "method"],
      [{ kind: "proxy", path_prefix: "/v1/me" }, "path_prefix"],
      [{ kind: "proxy", path_prefix: "/api/x/" }, "path_prefix"],
      [{ upstream_url: "ftp://bed.upstream.test/x" }, "upstream_url"],
      [{ price: { amount: 0, currency: "usd" } }, "price.amount"],
      [{ rate_limit: { limit: 5, window: "week" } }, "rate_limit.window"],
      [{ signing_secret: "mine" }, ""],
    ];
    for (const [fields, path] of cases) {
      const res = await api("POST", "/v1/admin/actions", {
        ...admin(),
        body: {
          slug: uniqueSlug(),
          name: "x",
          kind: "run",
          upstream_url: `${UPSTREAM}/x`,
          ...fields,
        },
      });
      const problem = expectProblem(res, 400, "invalid_request");
      expect(
        problem.errors?.map((e) => e.path),
        JSON.stringify(fields),
      ).toContain(path);
    }
  });

  it("409 for a slug or a path prefix already taken", async () => {
    const first = await createProxy();
    const slugTaken = await api("POST", "/v1/admin/actions", {
      ...admin(),
      body: { slug: first.slug, name: "x", kind: "run", upstream_url: `${UPSTREAM}/x` },
    });
    expect(expectProblem(slugTaken, 409, "conflict").errors).toStrictEqual([
      { path: "slug", message: "already taken" },
    ]);
    const prefixTaken = await api("POST", "/v1/admin/actions", {
      ...admin(),
      body: {
        slug: uniqueSlug(),
        name: "x",
        kind: "proxy",
        path_prefix: first.path_prefix,
        upstream_url: `${UPSTREAM}/x`,
      },
    });
    expect(expectProblem(prefixTaken, 409, "conflict").errors).toStrictEqual([
      { path: "path_prefix", message: "already taken" },
    ]);
  });

  it("is for admins only", async () => {
    const user = await signup();
    expectProblem(
      await api("GET", "/v1/admin/actions", { token: user.accessToken }),
      403,
      "forbidden",
    );
  });
});

describe("GET /v1/actions", () => {
  it("lists the enabled actions the user's plan allows, with prices, never the upstream", async () => {
    const open = await createAction({ description: "Finds the company of an email" });
    const gated = await createAction({ required_feature: "priority_support" });
    const off = await createAction({ enabled: false });
    const proxy = await createProxy({ price: null, rate_limit: { limit: 100, window: "minute" } });

    const free = await signup();
    const pro = await signup();
    await insertSubscription(pro.id);
    const seen = async (token: string) => {
      const res = await api<{ data: Record<string, unknown>[] }>("GET", "/v1/actions", { token });
      expect(res.status, res.text).toBe(200);
      expect(res.text).not.toContain("upstream");
      expect(res.text).not.toContain("secret");
      return res.body.data;
    };
    const freeSees = (await seen(free.accessToken)).map((a) => a.slug);
    expect(freeSees).toContain(open.slug);
    expect(freeSees).not.toContain(gated.slug);
    expect(freeSees).not.toContain(off.slug);
    const proSees = await seen(pro.accessToken);
    expect(proSees.map((a) => a.slug)).toContain(gated.slug);
    expect(proSees.find((a) => a.slug === open.slug)).toStrictEqual({
      slug: open.slug,
      name: "Enrich a lead",
      description: "Finds the company of an email",
      kind: "run",
      method: "POST",
      path_prefix: null,
      price: { amount: 10, currency: "usd" },
      cost: 1,
      timeout_ms: 10_000,
      mode: "sync",
      rate_limit: { limit: 10, window: "minute" },
    });
    expect(proSees.find((a) => a.slug === proxy.slug)).toMatchObject({
      kind: "proxy",
      method: "ANY",
      path_prefix: proxy.path_prefix,
      price: null,
      rate_limit: { limit: 100, window: "minute" },
    });
  });
});
