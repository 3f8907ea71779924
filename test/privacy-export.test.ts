// GET /v1/me/export holds every documented section and no secret; and a 413 names the limit of
// the path that refused the body.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { HOUR } from "../src/lib/time";
import { createEvent, createReminder } from "./events-helpers";
import { api, login, mailedToken, signup, signupAdmin } from "./helpers";
import { insertSubscription, setUpBilling } from "./money-helpers";

beforeEach(async () => {
  await setUpBilling();
});

type Json = Record<string, unknown>;

const SECTIONS = [
  "user",
  "settings",
  "subscriptions",
  "payments",
  "api_keys",
  "devices",
  "usage",
  "coupon_redemptions",
  "sessions",
  "emails",
  "audit",
  "notifications",
  "events",
  "reminders",
];

/** Every object key anywhere in the value. */
function keysIn(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) keysIn(item, found);
  else if (value && typeof value === "object") {
    for (const [key, inner] of Object.entries(value)) {
      found.add(key);
      keysIn(inner, found);
    }
  }
  return found;
}

async function column(sql: string, ...params: unknown[]): Promise<string[]> {
  const { results } = await env.DB.prepare(sql)
    .bind(...params)
    .all<{ v: string }>();
  return results.map((r) => r.v);
}

describe("GET /v1/me/export", () => {
  it("holds every section, with what the user has in each, and no secret", async () => {
    const user = await signup("export-all");
    const other = await signup("export-other");
    const second = await login(user.email);
    expect(second.status).toBe(200);
    expect(
      (await api("POST", "/v1/auth/password/forgot", { body: { email: user.email } })).status,
    ).toBe(202);
    const key = await api<{ id: string; key: string }>("POST", "/v1/me/api-keys", {
      token: user.accessToken,
      body: { name: "ci" },
    });
    expect(key.status, key.text).toBe(201);
    const event = await createEvent(user);
    const reminder = await createReminder(user, { remind_at: "2032-03-02T00:00:00Z" });
    await createEvent(other, { title: "Not theirs" });
    const admin = await signupAdmin();
    expect(
      (
        await api("PATCH", `/v1/admin/users/${user.id}`, {
          token: admin.accessToken,
          body: { role: "user" },
        })
      ).status,
    ).toBe(200);

    const now = Date.now();
    const hour = Math.floor(now / HOUR) * HOUR - HOUR;
    const day = Date.UTC(2032, 0, 1);
    const subscriptionId = await insertSubscription(user.id, {
      provider: "stripe",
      providerSubscriptionId: `sub_stripe_${user.id}`,
      currentPeriodStart: now - HOUR,
      currentPeriodEnd: now + 720 * HOUR,
    });
    const coupon = `cpn_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
    await env.DB.batch([
      env.DB.prepare(
        `insert into payments (id, user_id, subscription_id, provider, provider_payment_id, amount, currency, status, created_at, updated_at)
         values (?, ?, ?, 'stripe', ?, 2900, 'usd', 'succeeded', ?, ?)`,
      ).bind(`pay_${user.id}`, user.id, subscriptionId, `ch_${user.id}`, now, now),
      env.DB.prepare(
        `insert into coupons (id, code, percent_off, duration, times_redeemed, active, created_at, updated_at)
         values (?, ?, 20, 'once', 1, 1, ?, ?)`,
      ).bind(coupon, `SAVE${coupon.slice(4, 10).toUpperCase()}`, now, now),
      env.DB.prepare(
        "insert into coupon_redemptions (id, coupon_id, user_id, subscription_id, created_at) values (?, ?, ?, ?, ?)",
      ).bind(`red_${user.id}`, coupon, user.id, subscriptionId, now),
      env.DB.prepare(
        "insert into usage_hourly (subject, hour, allowed, denied, updated_at) values (?, ?, 7, 1, ?), (?, ?, 99, 9, ?)",
      ).bind(`user:${user.id}`, hour, now, `user:${other.id}`, hour, now),
      env.DB.prepare(
        "insert into usage_daily (subject, day, allowed, denied, updated_at) values (?, ?, 70, 3, ?)",
      ).bind(`user:${user.id}`, day, now),
    ]);

    const res = await api<Json>("GET", "/v1/me/export", { token: user.accessToken });
    expect(res.status, res.text).toBe(200);
    const body = res.body;
    expect(Object.keys(body).sort()).toEqual([...SECTIONS, "exported_at"].sort());

    expect(body.user).toMatchObject({ id: user.id, email: user.email, status: "active" });
    expect(body.events).toEqual([event]);
    expect(body.reminders).toEqual([reminder]);
    expect(body.subscriptions).toEqual([
      expect.objectContaining({
        id: subscriptionId,
        plan: { id: "pln_pro", code: "pro", name: "Pro" },
        provider: "stripe",
        status: "active",
      }),
    ]);
    expect(body.payments).toEqual([
      expect.objectContaining({ subscription_id: subscriptionId, amount: 2900, currency: "usd" }),
    ]);
    expect(body.api_keys).toEqual([
      {
        id: key.body.id,
        name: "ci",
        prefix: expect.any(String),
        created_at: expect.any(String),
        expires_at: null,
        last_used_at: null,
        revoked_at: null,
      },
    ]);
    expect(body.usage).toEqual({
      hourly: [{ start: new Date(hour).toISOString(), allowed: 7, denied: 1 }],
      daily: [{ start: new Date(day).toISOString(), allowed: 70, denied: 3 }],
    });
    expect(body.coupon_redemptions).toEqual([
      expect.objectContaining({ coupon_id: coupon, subscription_id: subscriptionId }),
    ]);
    const sessions = body.sessions as Json[];
    expect(sessions).toHaveLength(2);
    for (const s of sessions) expect(s.expires_at).toEqual(expect.any(String));
    const emails = body.emails as Json[];
    expect(emails.map((e) => e.template).sort()).toEqual(["password_reset", "verify_email"]);
    expect(body.audit).toEqual([expect.objectContaining({ action: "user.update" })]);

    // No secret, by name or by value.
    // (A reminder's `body` is the user's own text; an email's body, with its links, never goes.)
    const { reminders, ...rest } = body;
    for (const name of keysIn(rest)) expect(name).not.toMatch(/hash|token|secret|body|key$/i);
    for (const name of keysIn(reminders)) expect(name).not.toMatch(/hash|token|secret|key$/i);
    const secrets = [
      key.body.key,
      user.refreshToken,
      second.body.refresh_token,
      await mailedToken(user.email, "verify_email"),
      await mailedToken(user.email, "password_reset"),
      ...(await column("select password_hash as v from users where id = ?", user.id)),
      ...(await column("select key_hash as v from api_keys where user_id = ?", user.id)),
      ...(await column(
        "select r.token_hash as v from refresh_tokens r join sessions s on s.id = r.session_id where s.user_id = ?",
        user.id,
      )),
      ...(await column("select token_hash as v from auth_tokens where user_id = ?", user.id)),
      ...(await column("select text_body as v from email_outbox where user_id = ?", user.id)),
    ];
    expect(secrets.length).toBeGreaterThanOrEqual(11);
    for (const secret of secrets) expect(res.text).not.toContain(secret);
    expect(res.text).not.toContain("pbkdf2");
    // Nothing of the other user.
    expect(res.text).not.toContain(other.id);
  });

  it("is documented section by section in the OpenAPI schema", async () => {
    const res = await api<{
      components: { schemas: Record<string, { properties?: Record<string, Json> }> };
    }>("GET", "/openapi.json");
    expect(res.status).toBe(200);
    const properties = res.body.components.schemas.UserExport?.properties ?? {};
    for (const section of SECTIONS) {
      expect(properties[section], section).toBeDefined();
      expect(properties[section]?.description, section).toEqual(expect.any(String));
    }
  });
});

describe("a body too large", () => {
  const problem = (text: string) => JSON.parse(text) as { code: string; detail: string };

  it("on a webhook path names that path's limit: 1 MiB (1048576 bytes)", async () => {
    const res = await api("POST", "/v1/webhooks/stripe", {
      rawBody: "x".repeat(1024 * 1024 + 1),
      headers: { "content-type": "application/json", "stripe-signature": "t=1,v1=x" },
    });
    expect(res.status).toBe(413);
    expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    const body = problem(res.text);
    expect(body.code).toBe("payload_too_large");
    expect(body.detail).toContain("1048576");
    expect(body.detail).not.toContain("65536");
  });

  it("a webhook over the API's 64 KiB but under 1 MiB is not refused for its size", async () => {
    const res = await api("POST", "/v1/webhooks/stripe", {
      rawBody: JSON.stringify({ padding: "x".repeat(100 * 1024) }),
      headers: { "content-type": "application/json", "stripe-signature": "t=1,v1=x" },
    });
    expect(res.status).toBe(400);
    expect(problem(res.text).code).toBe("invalid_signature");
  });

  it("elsewhere names MAX_BODY_BYTES (65536)", async () => {
    const res = await api("POST", "/v1/auth/login", {
      body: { email: "big@example.test", password: "x".repeat(64 * 1024) },
    });
    expect(res.status).toBe(413);
    expect(problem(res.text).detail).toContain("65536");
  });
});
