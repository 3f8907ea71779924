// Stripe top-ups through the API, for the wallet tests: started, and paid (the completion event
// delivered and applied). Run with the fake Stripe of stripe-helpers.ts installed.
import { expect } from "vitest";
import { stripeEvent } from "./fakes/stripe";
import { api, type TestUser } from "./helpers";
import { fake, receive } from "./stripe-helpers";

const URLS = { success_url: "https://app.test/paid", cancel_url: "https://app.test/cancel" };

/** Starts a Stripe top-up through the API; answers the top-up and its Checkout Session id. */
export async function startTopUp(user: TestUser, amount: number, saveCard = false) {
  const res = await api<{ id: string; provider: string; checkout_url: string }>(
    "POST",
    "/v1/wallet/top-ups",
    {
      token: user.accessToken,
      body: { amount, currency: "usd", provider: "stripe", save_card: saveCard, ...URLS },
    },
  );
  expect(res.status, res.text).toBe(201);
  const session = [...fake.sessions.values()].find(
    (s) => (s.metadata as Record<string, string>).top_up_id === res.body.id,
  );
  if (!session) throw new Error("no Checkout Session for the top-up");
  return { topUp: res.body, sessionId: session.id as string };
}

/** Starts a top-up and pays it: the completion event delivered and applied. */
export async function paidTopUp(user: TestUser, amount: number, saveCard = false) {
  const { topUp, sessionId } = await startTopUp(user, amount, saveCard);
  const session = fake.completePayment(sessionId);
  await receive(stripeEvent("checkout.session.completed", session));
  return { topUp, session };
}
