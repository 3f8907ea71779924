// The renewals job rolling manual subscriptions forward by whole intervals (with the limiter's
// month window), applying their scheduled downgrades with the renewal.
import { beforeEach, describe, expect, it } from "vitest";
import { rollForward } from "../src/cron/renewal-manual";
import { DAY, HOUR } from "../src/lib/time";
import { subscriptionById } from "./fixtures";
import { minuteLimit, signup } from "./helpers";
import { BASIC_MINUTE, PRO_MINUTE } from "./money-helpers";
import {
  iso,
  NOW,
  ping,
  renewals,
  seedSubscription,
  seedUser,
  setUpRenewals,
} from "./renewals-helpers";

beforeEach(setUpRenewals);

describe("manual subscriptions", () => {
  it("rolls the period forward by whole intervals past now, with the limiter's month window", async () => {
    const user = await signup("manual");
    const start = Date.UTC(2032, 2, 1);
    const end = Date.UTC(2032, 2, 31);
    const monthly = await seedSubscription(user.id, {
      currentPeriodStart: start,
      currentPeriodEnd: end,
    });
    const other = await seedUser();
    const yearly = await seedSubscription(other, {
      interval: "year",
      currentPeriodStart: Date.UTC(2029, 1, 28),
      currentPeriodEnd: Date.UTC(2030, 1, 28),
    });
    // The limiter's month follows the old anchor (1 March): this month ends on 1 July.
    expect((await ping(user)).body.windows.month.reset_at).toBe(iso(Date.UTC(2032, 6, 1)));

    expect(await renewals()).toStrictEqual({ renewed: 2 });
    // 31 Mar → 30 Apr → 31 May (≤ now) → 30 Jun (> now).
    expect(await subscriptionById(monthly)).toMatchObject({
      status: "active",
      currentPeriodStart: Date.UTC(2032, 4, 31),
      currentPeriodEnd: Date.UTC(2032, 5, 30),
    });
    expect(await subscriptionById(yearly)).toMatchObject({
      currentPeriodStart: Date.UTC(2032, 1, 28),
      currentPeriodEnd: Date.UTC(2033, 1, 28),
    });
    expect((await ping(user)).body.windows.month.reset_at).toBe(iso(Date.UTC(2032, 5, 30)));
    expect(await minuteLimit(user)).toBe(PRO_MINUTE);

    expect(await renewals(NOW + HOUR)).toStrictEqual({});
    // At the new period end it renews again, back on the 31st it renews on (no drift).
    expect(await renewals(Date.UTC(2032, 5, 30))).toStrictEqual({ renewed: 1 });
    expect(await subscriptionById(monthly)).toMatchObject({
      currentPeriodStart: Date.UTC(2032, 5, 30),
      currentPeriodEnd: Date.UTC(2032, 6, 31),
      billingAnchorDay: 31,
    });
  });

  it("applies a manual downgrade with the renewal, and leaves past-due or paused ones alone", async () => {
    const user = await signup("mdown");
    const end = NOW - HOUR;
    const id = await seedSubscription(user.id, {
      scheduledPlanId: "pln_basic",
      scheduledInterval: "year",
      currentPeriodStart: end - 30 * DAY,
      currentPeriodEnd: end,
    });
    const pastDue = await seedSubscription(await seedUser(), {
      status: "past_due",
      currentPeriodStart: end - 30 * DAY,
      currentPeriodEnd: end,
    });
    const paused = await seedSubscription(await seedUser(), {
      status: "paused",
      currentPeriodStart: end - 30 * DAY,
      currentPeriodEnd: end,
    });
    expect(await renewals()).toStrictEqual({ downgraded: 1, renewed: 1 });
    expect(await subscriptionById(id)).toMatchObject({
      planId: "pln_basic",
      interval: "year",
      scheduledPlanId: null,
      currentPeriodStart: end,
      currentPeriodEnd: Date.UTC(2033, 5, 15, 11),
    });
    expect(await minuteLimit(user)).toBe(BASIC_MINUTE);
    expect((await subscriptionById(pastDue)).currentPeriodEnd).toBe(end);
    expect((await subscriptionById(paused)).currentPeriodEnd).toBe(end);
  });

  it("rollForward counts whole intervals from the anchor", () => {
    const anchor = Date.UTC(2030, 0, 31);
    expect(rollForward(anchor, "month", anchor)).toStrictEqual({
      start: anchor,
      end: Date.UTC(2030, 1, 28),
    });
    expect(rollForward(anchor, "month", Date.UTC(2031, 2, 30))).toStrictEqual({
      start: Date.UTC(2031, 1, 28),
      end: Date.UTC(2031, 2, 31),
    });
    expect(rollForward(anchor, "year", Date.UTC(2035, 0, 31))).toStrictEqual({
      start: Date.UTC(2035, 0, 31),
      end: Date.UTC(2036, 0, 31),
    });
  });
});
