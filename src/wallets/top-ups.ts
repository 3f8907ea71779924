// Starting a top-up: a Stripe Checkout Session in `payment` mode or a PayPal order, recorded as a
// pending top-up. Nothing is credited here: only the provider's confirmation credits the wallet
// (credits.ts).

import type { z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import { billingCustomers, walletTopUps } from "../db/schema";
import type { ServiceContext } from "../lib/context";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";
import { createOrder } from "../payments/paypal-orders";
import { call, stripeClient } from "../payments/stripe-api";
import type { TopUpInput } from "./schemas";

/** Marks a Checkout Session (metadata) as a wallet top-up, so its completion credits the wallet. */
export const TOP_UP_KIND = "wallet_top_up";
const DESCRIPTION = "Wallet top-up";

type Input = z.infer<typeof TopUpInput>;

/** 400 naming `amount` outside the configured bounds of one top-up (or recharge). */
export function checkTopUpAmount(ctx: ServiceContext, amount: number): void {
  const { WALLET_TOP_UP_MIN: min, WALLET_TOP_UP_MAX: max } = ctx.config;
  if (amount < min || amount > max) {
    throw new ApiError("invalid_request", `A top-up is between ${min} and ${max} minor units`, {
      errors: [{ path: "amount", message: `must be between ${min} and ${max}` }],
    });
  }
}

async function stripeCheckout(ctx: ServiceContext, userId: string, id: string, input: Input) {
  const client = stripeClient(ctx.config);
  if (!client)
    throw new ApiError("provider_unavailable", "Payments through stripe are not configured");
  const customer = await ctx.db.query.billingCustomers.findFirst({
    where: and(eq(billingCustomers.userId, userId), eq(billingCustomers.provider, "stripe")),
  });
  const metadata = { tollgate_kind: TOP_UP_KIND, user_id: userId, top_up_id: id };
  const session = await call(client, (stripe) =>
    stripe.checkout.sessions.create(
      {
        mode: "payment",
        // The completion event names the customer, which is kept for the next checkout.
        ...(customer ? { customer: customer.customerId } : { customer_creation: "always" }),
        client_reference_id: userId,
        line_items: [
          {
            quantity: 1,
            price_data: {
              currency: input.currency,
              unit_amount: input.amount,
              product_data: { name: DESCRIPTION },
            },
          },
        ],
        payment_intent_data: {
          metadata,
          ...(input.save_card ? { setup_future_usage: "off_session" } : {}),
        },
        success_url: input.success_url,
        cancel_url: input.cancel_url,
        metadata,
      },
      { idempotencyKey: `tollgate-top-up-${id}` },
    ),
  );
  if (!session.url) throw new ApiError("provider_error", "Stripe returned a session without a URL");
  return { orderId: session.id, checkoutUrl: session.url };
}

async function paypalOrder(ctx: ServiceContext, id: string, input: Input) {
  const order = await createOrder(ctx.config, {
    customId: id,
    amount: input.amount,
    currency: input.currency,
    description: DESCRIPTION,
    returnUrl: input.success_url,
    cancelUrl: input.cancel_url,
  });
  return { orderId: order.id, checkoutUrl: order.approvalUrl };
}

/** Starts a top-up at the provider; the buyer pays at `checkout_url`. */
export async function createTopUp(ctx: ServiceContext, userId: string, input: Input) {
  checkTopUpAmount(ctx, input.amount);
  const id = newId("top");
  const started =
    input.provider === "stripe"
      ? await stripeCheckout(ctx, userId, id, input)
      : await paypalOrder(ctx, id, input);
  await ctx.db.insert(walletTopUps).values({
    id,
    userId,
    kind: "top_up",
    provider: input.provider,
    providerOrderId: started.orderId,
    amount: input.amount,
    currency: input.currency,
    status: "pending",
    createdAt: ctx.now,
  });
  return { id, provider: input.provider, checkout_url: started.checkoutUrl };
}
