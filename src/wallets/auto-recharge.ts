// Auto-recharge: the user's settings (kept in their object, which starts a recharge when a capture
// leaves the balance below the threshold) and the queue consumer that charges the saved card
// off-session. The provider's payment_intent.succeeded credits it like a top-up (credits.ts).

import type { z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import { runBatch } from "../db";
import { billingCustomers, users, walletTopUps } from "../db/schema";
import type { WalletRechargeMessage } from "../env";
import type { ServiceContext } from "../lib/context";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";
import { stripeClient, stripeErrorOf } from "../payments/stripe-api";
import { autoRecharge, configureAutoRecharge } from "../ratelimit/client";
import { findTopUp, recordRechargeFailed } from "./credits";
import type { AutoRechargeInput } from "./schemas";
import { autoRechargeView } from "./service";
import { checkTopUpAmount } from "./top-ups";

/** Marks a PaymentIntent (metadata) as an auto-recharge, so its events reach the wallet. */
export const RECHARGE_KIND = "wallet_auto_recharge";

async function accountActive(ctx: Pick<ServiceContext, "db">, userId: string) {
  const user = await ctx.db
    .select({ status: users.status })
    .from(users)
    .where(eq(users.id, userId))
    .get();
  return user?.status === "active";
}

async function stripeCustomer(ctx: Pick<ServiceContext, "db">, userId: string) {
  const row = await ctx.db.query.billingCustomers.findFirst({
    where: and(eq(billingCustomers.userId, userId), eq(billingCustomers.provider, "stripe")),
  });
  return row?.customerId ?? null;
}

export async function setAutoRecharge(
  ctx: ServiceContext,
  userId: string,
  input: z.infer<typeof AutoRechargeInput>,
) {
  checkTopUpAmount(ctx, input.amount);
  if (input.enabled && !(await stripeCustomer(ctx, userId))) {
    throw new ApiError(
      "conflict",
      "Auto-recharge charges a saved card: top up through Stripe with save_card first",
    );
  }
  await configureAutoRecharge(ctx.env, userId, input);
  return autoRechargeView(ctx.env, userId);
}

/**
 * Charges a recharge the user's object started: an off-session PaymentIntent on the saved card,
 * idempotent on the recharge's reference (a redelivered message is the same charge). The pending
 * top-up is written first, so the provider's event always finds it. A card the provider refuses
 * (or none saved) fails the recharge at once; other failures are retried by the queue.
 */
export async function chargeRecharge(ctx: ServiceContext, message: WalletRechargeMessage) {
  const topUp = await pendingRecharge(ctx, message);
  const fail = async (reason: string) =>
    runBatch(
      ctx.db,
      await recordRechargeFailed(
        ctx,
        { topUpId: null, providerOrderId: message.reference },
        reason,
      ),
    );
  if (topUp.status !== "pending") return;
  if (!(await accountActive(ctx, message.user_id))) return fail("account closed");
  // Queued before the user turned it off (or superseded): the user's object says what holds now.
  const settings = await autoRecharge(ctx.env, message.user_id);
  if (!settings?.enabled || settings.pending !== message.reference) {
    return fail("auto-recharge turned off");
  }
  const client = stripeClient(ctx.config);
  const customer = await stripeCustomer(ctx, message.user_id);
  if (!client || !customer) return fail(client ? "no Stripe customer" : "Stripe is not configured");
  const stripe = await client();
  try {
    const methods = await stripe.paymentMethods.list({ customer, type: "card", limit: 1 });
    const method = methods.data[0];
    if (!method) return fail("no saved card");
    await stripe.paymentIntents.create(
      {
        amount: message.amount,
        currency: message.currency,
        customer,
        payment_method: method.id,
        off_session: true,
        confirm: true,
        metadata: {
          tollgate_kind: RECHARGE_KIND,
          user_id: message.user_id,
          top_up_id: topUp.id,
        },
      },
      { idempotencyKey: `tollgate-recharge-${message.reference}` },
    );
  } catch (error) {
    if (stripeErrorOf(error)?.type !== "StripeCardError") throw error;
    await fail("card refused");
  }
}

/** The recharge as a pending top-up, written once (keyed by the recharge's reference). */
async function pendingRecharge(ctx: ServiceContext, message: WalletRechargeMessage) {
  await ctx.db
    .insert(walletTopUps)
    .values({
      id: newId("top"),
      userId: message.user_id,
      kind: "auto_recharge",
      provider: "stripe",
      providerOrderId: message.reference,
      rechargeReference: message.reference,
      amount: message.amount,
      currency: message.currency,
      status: "pending",
      createdAt: ctx.now,
    })
    .onConflictDoNothing();
  const row = await findTopUp(ctx, "stripe", { topUpId: null, providerOrderId: message.reference });
  if (!row) throw new Error(`recharge ${message.reference} was not recorded`);
  return row;
}

/** The recharge queue: each message charged on its own; a failure retries that message. */
export async function consumeRecharges(
  ctx: ServiceContext,
  batch: MessageBatch<WalletRechargeMessage>,
): Promise<void> {
  for (const message of batch.messages) {
    try {
      await chargeRecharge(ctx, message.body);
      message.ack();
    } catch (error) {
      console.error(
        JSON.stringify({
          msg: "recharge failed",
          user: message.body.user_id,
          error: String(error),
        }),
      );
      message.retry({ delaySeconds: Math.min(600, 10 * 2 ** (message.attempts - 1)) });
    }
  }
}
