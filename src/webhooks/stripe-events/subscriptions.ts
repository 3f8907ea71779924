// customer.subscription.*: the subscription's lifecycle (created, updated, deleted) and the
// reminder before a trial ends.
import { eq } from "drizzle-orm";
import { users } from "../../db/schema";
import { outboxInsert } from "../../email/outbox";
import { idOf } from "../../payments/stripe-api";
import { type StripeSubscriptionLike, subscriptionState } from "../../payments/stripe-state";
import { planById } from "../../policy/current";
import { planForProviderPrice } from "../../subscriptions/sync";
import { cancelForClosedAccount } from "../closed-accounts";
import { type EventHandler, noEffect } from "../types";
import { effect, objectOf, ourSubscription } from "./common";
import { syncSubscription } from "./sync";

export const subscriptionChanged =
  (deleted: boolean): EventHandler =>
  async (context, payload) => {
    const { db, now, event } = context;
    const subscription = objectOf<StripeSubscriptionLike>(payload).data.object;
    const state = subscriptionState(subscription, event.occurredAt);
    // A deleted subscription has ended whatever its last status said.
    if (deleted && state.status !== "expired") state.status = "canceled";
    const sync = await syncSubscription(db, subscription, state, now);
    const closed = await cancelForClosedAccount(context, sync.userId, state.status, {
      providerSubscriptionId: subscription.id,
    });
    if (!closed) return effect(sync.statements, [sync.userId]);
    const canceled = { ...state, status: "canceled" as const, canceledAt: event.occurredAt };
    const recorded = await syncSubscription(db, subscription, canceled, now);
    return effect(recorded.statements, [recorded.userId]);
  };

export const trialWillEnd: EventHandler = async ({ db, now }, payload) => {
  const subscription = objectOf<StripeSubscriptionLike>(payload).data.object;
  const ours = await ourSubscription(db, subscription.id, subscription.metadata);
  const userId = ours?.userId ?? subscription.metadata?.user_id ?? null;
  if (!userId) return noEffect();
  const user = await db.query.users.findFirst({ where: eq(users.id, userId) });
  if (user?.status !== "active") return noEffect();
  const price = idOf(subscription.items?.data[0]?.price);
  const plan =
    (await planForProviderPrice(db, "stripe", price))?.plan ??
    (ours ? await planById(db, ours.planId) : null);
  const trialEnd = subscription.trial_end ?? null;
  const email = outboxInsert(
    db,
    {
      userId,
      to: user.email,
      template: "trial_ending",
      vars: { plan: plan?.name ?? null, trialEnd: trialEnd ? trialEnd * 1000 : null },
      locale: user.locale,
    },
    now,
  );
  return effect([email.statement], [], [email.id]);
};
