// What the renewals job tells a subscriber once a change has committed: ended, plan changed,
// renewed (manual subscriptions; providers' renewals are told by their payment events).
import type { Plan, Subscription } from "../db/schema";
import type { ServiceContext } from "../lib/context";
import { notifySystemAfterCommit } from "../notifications/notices";
import { planById } from "../policy/current";

export type Change =
  | { kind: "canceled" }
  | { kind: "plan_changed"; to: Plan; at: number }
  | { kind: "renewed"; period: { start: number; end: number } };

export async function tellRenewal(
  ctx: ServiceContext,
  sub: Subscription,
  changes: Change[],
): Promise<void> {
  if (changes.length === 0) return;
  const plan = (await planById(ctx.db, sub.planId))?.name ?? null;
  const base = { subscriptionId: sub.id, plan };
  for (const change of changes) {
    switch (change.kind) {
      case "canceled":
        await notifySystemAfterCommit(ctx, sub.userId, { kind: "canceled", ...base });
        break;
      case "plan_changed":
        await notifySystemAfterCommit(ctx, sub.userId, {
          kind: "plan_changed",
          subscriptionId: sub.id,
          from: plan,
          to: change.to.name,
          toPlanId: change.to.id,
          at: change.at,
        });
        break;
      case "renewed":
        await notifySystemAfterCommit(ctx, sub.userId, {
          kind: "renewed",
          // After a downgrade in the same step, the plan renewed is the new one.
          ...base,
          plan: changes.find((c) => c.kind === "plan_changed")?.to.name ?? plan,
          periodStart: change.period.start,
          periodEnd: change.period.end,
        });
        break;
    }
  }
}
