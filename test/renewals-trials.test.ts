// The renewals job and trials: ended manual trials become active, ended Stripe trials are
// re-synced once their events had time to come, and trial_ending reminders go out once.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { DAY, HOUR, MINUTE } from "../src/lib/time";
import { installFakeStripe } from "./fakes/stripe";
import { type SubscriptionFields, setUserStatus, subscriptionById } from "./fixtures";
import { minuteLimit, signup } from "./helpers";
import { FREE_MINUTE, PRO_MINUTE } from "./money-helpers";
import {
  emailBatches,
  iso,
  NOW,
  ping,
  renewals,
  sec,
  seedSubscription,
  seedUser,
  setUpRenewals,
} from "./renewals-helpers";

beforeEach(setUpRenewals);

describe("trials", () => {
  it("makes an ended manual trial active from its end", async () => {
    const user = await signup("mtrial");
    const trialEnd = NOW - HOUR;
    const id = await seedSubscription(user.id, {
      status: "trialing",
      trialEnd,
      currentPeriodStart: trialEnd - 14 * DAY,
      currentPeriodEnd: trialEnd,
    });
    const running = await seedSubscription(await seedUser(), {
      status: "trialing",
      trialEnd: NOW + 5 * DAY,
      currentPeriodStart: NOW - 9 * DAY,
      currentPeriodEnd: NOW + 5 * DAY,
    });
    expect(await renewals()).toStrictEqual({ trials_activated: 1 });
    expect(await subscriptionById(id)).toMatchObject({
      status: "active",
      trialEnd,
      currentPeriodStart: trialEnd,
      currentPeriodEnd: Date.UTC(2032, 6, 15, 11),
    });
    expect((await ping(user)).body.windows.month.reset_at).toBe(iso(Date.UTC(2032, 6, 15, 11)));
    expect((await subscriptionById(running)).status).toBe("trialing");
    expect(await renewals(NOW + MINUTE)).toStrictEqual({});
  });

  it("re-syncs an ended Stripe trial: the provider decides active or expired", async () => {
    const stripe = installFakeStripe();
    const paid = await signup("trialpaid");
    const lapsed = await signup("triallapsed");
    const trialEnd = NOW - 7 * HOUR;
    const paidRemote = stripe.addSubscription({
      customer: "cus_paid",
      price: "price_pro_m",
      status: "active",
      trialEnd: sec(trialEnd),
      periodStart: sec(trialEnd),
      periodEnd: sec(trialEnd + 30 * DAY),
    });
    const lapsedRemote = stripe.addSubscription({
      customer: "cus_lapsed",
      price: "price_pro_m",
      status: "incomplete_expired",
      trialEnd: sec(trialEnd),
      periodStart: sec(trialEnd - 14 * DAY),
      periodEnd: sec(trialEnd),
    });
    const trialing = {
      provider: "stripe" as const,
      status: "trialing" as const,
      trialEnd,
      currentPeriodStart: trialEnd - 14 * DAY,
      currentPeriodEnd: trialEnd,
    };
    const paidId = await seedSubscription(paid.id, {
      ...trialing,
      providerSubscriptionId: paidRemote.id as string,
    });
    const lapsedId = await seedSubscription(lapsed.id, {
      ...trialing,
      providerSubscriptionId: lapsedRemote.id as string,
    });
    expect(await minuteLimit(lapsed)).toBe(PRO_MINUTE);
    expect(await renewals()).toStrictEqual({ resynced: 2, ended_by_provider: 1 });
    expect(await subscriptionById(paidId)).toMatchObject({
      status: "active",
      currentPeriodEnd: trialEnd + 30 * DAY,
    });
    expect(await subscriptionById(lapsedId)).toMatchObject({ status: "expired", endedAt: NOW });
    expect(await minuteLimit(paid)).toBe(PRO_MINUTE);
    expect(await minuteLimit(lapsed)).toBe(FREE_MINUTE);
  });

  it("leaves a Stripe trial alone while its events may still come", async () => {
    const stripe = installFakeStripe();
    const user = await signup("trialwait");
    const id = await seedSubscription(user.id, {
      provider: "stripe",
      providerSubscriptionId: "sub_trial_wait",
      status: "trialing",
      trialEnd: NOW - HOUR,
      currentPeriodStart: NOW - 14 * DAY,
      currentPeriodEnd: NOW - HOUR,
    });
    expect(await renewals()).toStrictEqual({});
    expect((await subscriptionById(id)).status).toBe("trialing");
    expect(stripe.requests).toHaveLength(0);
  });

  it("emails trial_ending once, 3 days ahead, for PayPal and manual trials only", async () => {
    const paypalUser = await signup("ppt");
    const manualUser = await signup("mt");
    const againUser = await signup("again");
    const trial = (trialEnd: number, fields: SubscriptionFields = {}): SubscriptionFields => ({
      status: "trialing",
      trialEnd,
      currentPeriodStart: trialEnd - 14 * DAY,
      currentPeriodEnd: trialEnd,
      ...fields,
    });
    await seedSubscription(
      paypalUser.id,
      trial(NOW + 2 * DAY, { provider: "paypal", providerSubscriptionId: "I-TRIAL" }),
    );
    await seedSubscription(manualUser.id, trial(NOW + 3 * DAY, { planId: "pln_basic" }));
    // An earlier trial's reminder does not count for this one.
    await seedSubscription(againUser.id, trial(NOW + DAY));
    await env.DB.prepare(
      "insert into email_outbox (id, user_id, to_address, template, subject, text_body, status, created_at) values ('eml_old', ?, ?, 'trial_ending', 's', 't', 'sent', ?)",
    )
      .bind(againUser.id, againUser.email, NOW - 100 * DAY)
      .run();
    // None of these: Stripe emails itself, too early, canceling, an inactive user.
    await seedSubscription(
      await seedUser(),
      trial(NOW + 2 * DAY, { provider: "stripe", providerSubscriptionId: "sub_t" }),
    );
    await seedSubscription(await seedUser(), trial(NOW + 3 * DAY + 2 * HOUR));
    await seedSubscription(await seedUser(), trial(NOW + DAY, { cancelAtPeriodEnd: true }));
    const disabled = await seedUser();
    await setUserStatus(disabled, "disabled");
    await seedSubscription(disabled, trial(NOW + DAY));

    // Sign-up emails went out: from here on only this job's count.
    emailBatches.length = 0;
    expect(await renewals()).toStrictEqual({ trial_reminders: 3 });
    const { results } = await env.DB.prepare(
      "select id, user_id, to_address, subject, text_body, status from email_outbox where template = 'trial_ending' and id != 'eml_old' order by to_address",
    ).all<{ id: string; user_id: string; to_address: string; text_body: string; status: string }>();
    expect(results.map((r) => r.user_id).sort()).toStrictEqual(
      [paypalUser.id, manualUser.id, againUser.id].sort(),
    );
    expect(results.every((r) => r.status === "pending")).toBe(true);
    const manualEmail = results.find((r) => r.user_id === manualUser.id);
    expect(manualEmail?.to_address).toBe(manualUser.email);
    expect(manualEmail?.text_body).toContain("Basic trial ends on June 18, 2032");
    expect(emailBatches.flat().sort()).toStrictEqual(results.map((r) => r.id).sort());

    // Once: later runs (even a day later) write nothing more.
    expect(await renewals(NOW + 10 * MINUTE)).toStrictEqual({});
    expect(await renewals(NOW + HOUR)).toStrictEqual({});
    expect(emailBatches.flat()).toHaveLength(3);
    // The one two hours too early is due by then; the others are still not sent again.
    expect(await renewals(NOW + 2 * HOUR)).toStrictEqual({ trial_reminders: 1 });
    expect(await renewals(NOW + 3 * HOUR)).toStrictEqual({});
    expect(emailBatches.flat()).toHaveLength(4);
  });
});
