// Rows written straight to D1, for the state a test needs but no route makes (or makes only
// slowly): users without the sign-up round trip, subscriptions as a provider's events leave
// them, payments, plans and coupons. Each `insert*` takes any of the table's columns by their
// drizzle (camelCase) names, fills the others with plain defaults and answers the row as
// stored; `subscriptionById` reads one back. Users that log in come from helpers.ts
// (`signup`, `signupAdmin`).
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { openDb } from "../src/db";
import { actionRuns, coupons, payments, plans, subscriptions, users } from "../src/db/schema";
import type { UserSettings } from "../src/db/user-settings";
import { newId } from "../src/lib/ids";

const db = () => openDb(env.DB);

export type UserFields = Partial<typeof users.$inferInsert>;
export type SubscriptionFields = Partial<typeof subscriptions.$inferInsert>;
export type PaymentFields = Partial<typeof payments.$inferInsert>;
export type ActionRunFields = Partial<typeof actionRuns.$inferInsert>;
export type PlanFields = Partial<typeof plans.$inferInsert>;
export type CouponFields = Partial<typeof coupons.$inferInsert>;

/**
 * An active user row, `<id>@example.test`, that cannot log in (its password hash is no real
 * one) and has no session: for jobs and reports that work over many users.
 */
export async function insertUser(fields: UserFields = {}) {
  const id = fields.id ?? newId("usr");
  const createdAt = fields.createdAt ?? Date.now();
  return db()
    .insert(users)
    .values({
      id,
      email: `${id}@example.test`,
      passwordHash: "pbkdf2_sha256$100000$x$y",
      settings: {} as UserSettings,
      createdAt,
      updatedAt: createdAt,
      ...fields,
    })
    .returning()
    .get();
}

/** Sets a user's status in D1, as an admin or a deletion would; tokens are not touched. */
export async function setUserStatus(userId: string, status: "active" | "disabled" | "deleted") {
  await env.DB.prepare("update users set status = ? where id = ?").bind(status, userId).run();
}

/** Sets a user's role in D1; tokens issued before still carry the old role. */
export async function setUserRole(userId: string, role: "user" | "admin") {
  await env.DB.prepare("update users set role = ? where id = ?").bind(role, userId).run();
}

/** A subscription row: by default an active monthly pro plan of the `manual` provider. */
export async function insertSubscription(userId: string, fields: SubscriptionFields = {}) {
  const createdAt = fields.createdAt ?? Date.now();
  return db()
    .insert(subscriptions)
    .values({
      id: newId("sub"),
      userId,
      planId: "pln_pro",
      interval: "month",
      status: "active",
      provider: "manual",
      createdAt,
      updatedAt: createdAt,
      ...fields,
    })
    .returning()
    .get();
}

/** A subscription as stored now (drizzle's row); throws when there is none. */
export async function subscriptionById(id: string) {
  const found = await db().query.subscriptions.findFirst({ where: eq(subscriptions.id, id) });
  if (!found) throw new Error(`no subscription ${id}`);
  return found;
}

/** A payment row: by default a succeeded `manual` payment of 9.00 usd with no subscription. */
export async function insertPayment(userId: string, fields: PaymentFields = {}) {
  const id = fields.id ?? newId("pay");
  const createdAt = fields.createdAt ?? Date.now();
  return db()
    .insert(payments)
    .values({
      id,
      userId,
      provider: "manual",
      providerPaymentId: `ext_${id}`,
      amount: 900,
      currency: "usd",
      status: "succeeded",
      createdAt,
      updatedAt: createdAt,
      ...fields,
    })
    .returning()
    .get();
}

/** A run of a free action that succeeded, as its end writes it. */
export async function insertActionRun(userId: string, fields: ActionRunFields = {}) {
  const id = fields.id ?? newId("arn");
  const createdAt = fields.createdAt ?? Date.now();
  return db()
    .insert(actionRuns)
    .values({
      id,
      userId,
      actionId: "act_fixture",
      actionSlug: "fixture",
      kind: "run",
      mode: "sync",
      status: "succeeded",
      method: "POST",
      upstreamStatus: 200,
      createdAt,
      updatedAt: createdAt,
      ...fields,
    })
    .returning()
    .get();
}

/** A plan row named `Plan <id>`, its code the id without `pln_`; other columns at their defaults. */
export async function insertPlan(fields: PlanFields = {}) {
  const id = fields.id ?? newId("pln");
  const code = fields.code ?? id.replace(/^pln_/, "");
  return db()
    .insert(plans)
    .values({ id, code, name: `Plan ${id}`, ...fields })
    .returning()
    .get();
}

/**
 * A coupon row: by default a `once` coupon with no discount (give it `percentOff` or
 * `amountOff`), for any plan; its code is its id upper-cased without `cpn_`.
 */
export async function insertCoupon(fields: CouponFields = {}) {
  const id = fields.id ?? newId("cpn");
  const createdAt = fields.createdAt ?? Date.now();
  return db()
    .insert(coupons)
    .values({
      id,
      code: id.replace(/^cpn_/, "").toUpperCase(),
      duration: "once",
      createdAt,
      updatedAt: createdAt,
      ...fields,
    })
    .returning()
    .get();
}

const PRICE_NAMES = { basic: "basic", pro: "pro", enterprise: "ent" } as const;

/**
 * Makes these plans purchasable at the provider, under the ids the fakes and tests use: Stripe
 * prices `price_<basic|pro|ent>_m` and `_y`, PayPal plans `P-<BASIC|PRO|ENT>-MONTH` and `-YEAR`.
 */
export async function sellAt(
  provider: "stripe" | "paypal",
  ...codes: (keyof typeof PRICE_NAMES)[]
): Promise<void> {
  const sql =
    provider === "stripe"
      ? "update plans set stripe_price_month = ?, stripe_price_year = ? where code = ?"
      : "update plans set paypal_plan_month = ?, paypal_plan_year = ? where code = ?";
  await env.DB.batch(
    codes.map((code) => {
      const name = PRICE_NAMES[code];
      const [month, year] =
        provider === "stripe"
          ? [`price_${name}_m`, `price_${name}_y`]
          : [`P-${name.toUpperCase()}-MONTH`, `P-${name.toUpperCase()}-YEAR`];
      return env.DB.prepare(sql).bind(month, year, code);
    }),
  );
}

/**
 * Empties the tables the cron jobs work on as a whole (emails, coupon redemptions, payments,
 * subscriptions, job runs): for files whose tests share storage with such a job.
 */
export async function emptyJobTables(): Promise<void> {
  await env.DB.batch(
    ["email_outbox", "coupon_redemptions", "payments", "subscriptions", "job_runs"].map((table) =>
      env.DB.prepare(`delete from ${table}`),
    ),
  );
}
