// Stripe's customer portal: payment methods and invoices, managed at Stripe.
import { and, eq } from "drizzle-orm";
import { billingCustomers } from "../db/schema";
import { msg } from "../i18n";
import type { ServiceContext } from "../lib/context";
import { ApiError } from "../lib/errors";
import { createBillingPortalSession } from "../payments/stripe";

/** A portal session for the user's Stripe customer; 409 before they have one. */
export async function billingPortal(
  { db, config }: ServiceContext,
  userId: string,
  returnUrl: string,
) {
  const customer = await db.query.billingCustomers.findFirst({
    where: and(eq(billingCustomers.userId, userId), eq(billingCustomers.provider, "stripe")),
  });
  if (!customer) throw new ApiError("conflict", msg("problems.conflict.no_stripe_customer"));
  if (!config.STRIPE_SECRET_KEY)
    throw new ApiError(
      "provider_unavailable",
      msg("problems.provider_unavailable.not_configured", { provider: "Stripe" }),
    );
  return { url: await createBillingPortalSession(config, customer.customerId, returnUrl) };
}
