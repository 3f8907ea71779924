// The billing anchor day: manual subscriptions rolled forward by the renewals job renew on it,
// clamped to shorter months without drifting (Jan 31 → Feb 28 → Mar 31), and the limiter's month
// window follows the same days.
import { beforeEach, describe, expect, it, vi } from "vitest";
import { DAY, MINUTE } from "../src/lib/time";
import { api, signup, type TestUser } from "./helpers";
import {
  cleanSubscriptions,
  insertSubscription,
  iso,
  relogin,
  renewals,
  subscriptionRow,
} from "./money-helpers";

beforeEach(async () => {
  await cleanSubscriptions();
});

describe("the billing anchor day", () => {
  async function monthResetAt(user: TestUser): Promise<string> {
    const res = await api<{ windows: { month: { reset_at: string } } }>("GET", "/v1/ping", {
      token: user.accessToken,
    });
    expect(res.status).toBe(200);
    return res.body.windows.month.reset_at;
  }

  it("day 31: a manual subscription rolls Jan 31 → Feb 28 → Mar 31 → Apr 30 through the cron", async () => {
    const jan31 = Date.UTC(2033, 0, 31);
    const feb28 = Date.UTC(2033, 1, 28);
    const mar31 = Date.UTC(2033, 2, 31);
    const apr30 = Date.UTC(2033, 3, 30);
    vi.setSystemTime(jan31 + DAY);
    let user = await signup("anchor31");
    const id = await insertSubscription(user.id, {
      currentPeriodStart: jan31,
      currentPeriodEnd: feb28,
      billingAnchorDay: 31,
    });

    expect(await renewals(feb28 + MINUTE)).toEqual({ renewed: 1 });
    expect(await subscriptionRow(id)).toMatchObject({
      currentPeriodStart: feb28,
      currentPeriodEnd: mar31,
      billingAnchorDay: 31,
    });
    // The limiter's month window is the period: it ends on Mar 31, not Mar 28.
    vi.setSystemTime(Date.UTC(2033, 2, 29));
    user = await relogin(user);
    expect(await monthResetAt(user)).toBe(iso(mar31));

    expect(await renewals(mar31 + MINUTE)).toEqual({ renewed: 1 });
    expect(await subscriptionRow(id)).toMatchObject({
      currentPeriodStart: mar31,
      currentPeriodEnd: apr30,
    });
  });

  it("without a stored day, a clamped period's start gives it (and it is stored)", async () => {
    const user = await signup("anchor-inferred");
    const id = await insertSubscription(user.id, {
      currentPeriodStart: Date.UTC(2033, 0, 31),
      currentPeriodEnd: Date.UTC(2033, 1, 28),
    });
    expect(await renewals(Date.UTC(2033, 1, 28, 0, 1))).toEqual({ renewed: 1 });
    expect(await subscriptionRow(id)).toMatchObject({
      currentPeriodEnd: Date.UTC(2033, 2, 31),
      billingAnchorDay: 31,
    });
  });
});
