// Plan and billing: the subscription, the plans, the payment history.
import { api } from "../../shared/api";
import { useLoad } from "../../shared/load";
import { ProblemAlert } from "../../shared/problem";
import { useRoute } from "../../shared/router";
import type { Page, Payment, Plan, Subscription } from "../../shared/types";
import { PaymentHistory, StandingAlert, SubscriptionCard } from "./billing-parts";
import { PlanChooser } from "./plans";

const CHECKOUT_MESSAGE: Record<string, { text: string; kind: string }> = {
  success: {
    text: "Thank you! Your payment is being confirmed; your new plan appears here in a moment.",
    kind: "alert-ok",
  },
  canceled: { text: "Checkout was canceled; nothing was charged.", kind: "alert-info" },
};

export function BillingPage() {
  const checkout = CHECKOUT_MESSAGE[useRoute().query.get("checkout") ?? ""];
  const sub = useLoad(() => api<{ subscription: Subscription | null }>("GET", "/v1/subscription"));
  const plans = useLoad(() => api<{ data: Plan[] }>("GET", "/v1/plans"));
  const payments = useLoad(() => api<Page<Payment>>("GET", "/v1/payments?limit=50"));
  const subscription = sub.data?.subscription ?? null;
  const reload = () => {
    void sub.reload();
    void payments.reload();
  };
  return (
    <>
      <h1>Plan and billing</h1>
      {checkout ? (
        <div class={`alert ${checkout.kind}`} role="status">
          {checkout.text}
        </div>
      ) : null}
      <ProblemAlert problem={sub.problem ?? plans.problem ?? payments.problem} />
      {subscription ? <StandingAlert standing={subscription.standing} /> : null}
      {sub.data && !subscription ? (
        <section class="card" aria-labelledby="subscription-heading">
          <h2 id="subscription-heading">Your subscription</h2>
          <p>
            You are on the <strong class="plan-name">free plan</strong>. Choose a plan below to
            raise your limits.
          </p>
        </section>
      ) : null}
      {subscription ? (
        <SubscriptionCard
          subscription={subscription}
          plans={plans.data?.data ?? []}
          onChanged={reload}
        />
      ) : null}
      {plans.data && sub.data ? (
        <PlanChooser plans={plans.data.data} subscription={subscription} onChanged={reload} />
      ) : null}
      <PaymentHistory page={payments.data} />
    </>
  );
}
