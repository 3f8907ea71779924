// The audit log of admin changes: one entry per PATCH with before/after, filters, pages.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  type AuditEntry,
  auditRows,
  ISO,
  listAudit,
  patchUser,
  setCreatedAt,
  walk,
} from "./admin-helpers";
import { count, expectProblem, signup, signupAdmin } from "./helpers";

// ---------------------------------------------------------------------------------------------
// GET /v1/admin/audit
// ---------------------------------------------------------------------------------------------

describe("GET /v1/admin/audit", () => {
  it("records every PATCH as user.update with actor, target and before/after", async () => {
    const admin = await signupAdmin();
    const user = await signup();
    const res = await patchUser(admin.accessToken, user.id, { status: "disabled" });
    expect(res.status).toBe(200);

    const audit = await listAudit(admin.accessToken, { target_id: user.id });
    expect(audit.status, audit.text).toBe(200);
    expect(audit.body.next_cursor).toBeNull();
    expect(audit.body.data).toHaveLength(1);
    const entry = audit.body.data[0];
    expect(entry).toMatchObject({
      action: "user.update",
      actor_id: admin.id,
      target_type: "user",
      target_id: user.id,
      data: { before: { role: "user", status: "active" }, after: { status: "disabled" } },
    });
    expect(entry?.created_at).toMatch(ISO);
    expect(entry?.id).toMatch(/^aud_/);

    const row = await env.DB.prepare("select * from audit_log where id = ?")
      .bind(entry?.id)
      .first<{ actor_id: string; target_id: string; action: string; data: string }>();
    expect(row).toMatchObject({ actor_id: admin.id, target_id: user.id, action: "user.update" });
    expect(JSON.parse(row?.data ?? "{}")).toEqual(entry?.data);

    // A role change too, and even a change to the same value.
    await patchUser(admin.accessToken, user.id, { role: "admin" });
    await patchUser(admin.accessToken, user.id, { role: "admin" });
    expect(await auditRows(user.id)).toBe(3);
  });

  it("filters by actor_id, target_id and action", async () => {
    const a = await signupAdmin();
    const b = await signupAdmin();
    const u1 = await signup();
    const u2 = await signup();
    await patchUser(a.accessToken, u1.id, { status: "disabled" });
    await patchUser(a.accessToken, u2.id, { role: "admin" });
    await patchUser(b.accessToken, u1.id, { status: "active" });

    const byA = await listAudit(a.accessToken, { actor_id: a.id, limit: 100 });
    expect(byA.status).toBe(200);
    expect(byA.body.data.every((e) => e.actor_id === a.id)).toBe(true);
    expect(byA.body.data.map((e) => e.target_id).sort()).toEqual([u1.id, u2.id].sort());

    const onU1 = await listAudit(a.accessToken, { target_id: u1.id });
    expect(onU1.body.data.map((e) => e.actor_id).sort()).toEqual([a.id, b.id].sort());

    const both = await listAudit(a.accessToken, { actor_id: b.id, target_id: u1.id });
    expect(both.body.data).toHaveLength(1);
    expect(both.body.data[0]?.data.after).toEqual({ status: "active" });

    const byAction = await listAudit(a.accessToken, {
      action: "user.update",
      target_id: u2.id,
    });
    expect(byAction.body.data).toHaveLength(1);
    const otherAction = await listAudit(a.accessToken, { action: "user.delete", target_id: u1.id });
    expect(otherAction.status).toBe(200);
    expect(otherAction.body).toEqual({ data: [], next_cursor: null });
  });

  it("pages newest first with a cursor, without duplicates", async () => {
    const admin = await signupAdmin();
    const user = await signup();
    const bodies = [{ role: "admin" }, { status: "disabled" }, { role: "user" }];
    for (const body of bodies) {
      expect((await patchUser(admin.accessToken, user.id, body)).status).toBe(200);
    }
    const { results } = await env.DB.prepare(
      "select id, data from audit_log where target_id = ? order by created_at, rowid",
    )
      .bind(user.id)
      .all<{ id: string; data: string }>();
    expect(results).toHaveLength(3);
    const base = Date.now() - 60_000;
    for (const [i, r] of results.entries()) await setCreatedAt("audit_log", r.id, base + i * 1000);

    const { items, pages } = await walk<AuditEntry>(
      (cursor) =>
        listAudit(admin.accessToken, {
          target_id: user.id,
          limit: 1,
          ...(cursor ? { cursor } : {}),
        }),
      1,
    );
    expect(pages).toEqual([1, 1, 1]);
    expect(items.map((e) => e.id)).toEqual(results.map((r) => r.id).reverse());
    expect(items.map((e) => e.data.after)).toEqual([...bodies].reverse());
    expect(items.map((e) => e.data.before)).toEqual([
      { role: "admin", status: "disabled" },
      { role: "admin", status: "active" },
      { role: "user", status: "active" },
    ]);
  });

  it("rejects an invalid cursor or limit with 400", async () => {
    const admin = await signupAdmin();
    expectProblem(
      await listAudit(admin.accessToken, { cursor: "garbage!!" }),
      400,
      "invalid_request",
    );
    expectProblem(await listAudit(admin.accessToken, { limit: 0 }), 400, "invalid_request");
    expectProblem(await listAudit(admin.accessToken, { limit: 101 }), 400, "invalid_request");
  });

  it("writes no audit row for refused changes", async () => {
    const admin = await signupAdmin();
    const user = await signup();
    const before = await count("select count(*) as n from audit_log");
    await patchUser(admin.accessToken, admin.id, { role: "user" });
    await patchUser(admin.accessToken, "usr_zzz", { role: "user" });
    await patchUser(admin.accessToken, user.id, {});
    await patchUser(user.accessToken, user.id, { role: "admin" });
    expect(await count("select count(*) as n from audit_log")).toBe(before);
  });
});
