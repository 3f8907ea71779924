// The first page after sign-in: the plan, standing, email confirmation, and usage at a glance.
import { useState } from "preact/hooks";
import { api } from "../../shared/api";
import { Chart } from "../../shared/chart";
import { formatDate } from "../../shared/format";
import { useLoad } from "../../shared/load";
import { asProblem, ProblemAlert } from "../../shared/problem";
import { Link } from "../../shared/router";
import type { Me, Usage } from "../../shared/types";
import { StandingAlert } from "./billing-parts";
import { historySeries, loadUsage, UsageMeters } from "./usage";

export const loadMe = () => api<Me>("GET", "/v1/me");

function VerifyBanner() {
  const [state, setState] = useState<"idle" | "sent" | "sending">("idle");
  const [problem, setProblem] = useState<ReturnType<typeof asProblem> | null>(null);
  return (
    <div class="alert alert-warn" role="status">
      <strong>Confirm your email address.</strong>{" "}
      {state === "sent" ? (
        "A new link is on its way."
      ) : (
        <>
          We sent you a link when you signed up.{" "}
          <button
            type="button"
            class="link-button"
            disabled={state === "sending"}
            onClick={async () => {
              setState("sending");
              try {
                await api("POST", "/v1/auth/email/resend");
                setState("sent");
              } catch (error) {
                setProblem(asProblem(error));
                setState("idle");
              }
            }}
          >
            Send it again
          </button>
        </>
      )}
      <ProblemAlert problem={problem} />
    </div>
  );
}

export function OverviewPage() {
  const me = useLoad(loadMe);
  const usage = useLoad<Usage>(loadUsage);
  const user = me.data;
  const sub = user?.subscription;
  return (
    <>
      <h1>Overview</h1>
      <ProblemAlert problem={me.problem ?? usage.problem} />
      {user && !user.email_verified ? <VerifyBanner /> : null}
      {sub ? <StandingAlert standing={sub.standing} /> : null}
      <div class="grid">
        <section class="card" aria-labelledby="plan-heading">
          <h2 id="plan-heading">Plan</h2>
          {user ? (
            <>
              <p>
                <strong class="plan-name">{user.plan?.name ?? "Free"}</strong>
                {sub ? ` · billed per ${sub.interval}` : ""}
              </p>
              {sub?.current_period_end ? (
                <p class="muted">
                  {sub.cancel_at_period_end ? "Ends" : "Renews"} on{" "}
                  {formatDate(sub.current_period_end)}
                </p>
              ) : null}
              <p>
                <Link to="/billing">Change plan or billing</Link>
              </p>
            </>
          ) : (
            <p class="loading">Loading…</p>
          )}
        </section>
        <section class="card" aria-labelledby="usage-heading">
          <h2 id="usage-heading">Usage</h2>
          {usage.data ? <UsageMeters usage={usage.data} now={Date.now()} /> : null}
          <p>
            <Link to="/usage">Usage history</Link>
          </p>
        </section>
      </div>
      {usage.data ? (
        <section class="card" aria-labelledby="history-heading">
          <h2 id="history-heading">Last 30 days</h2>
          <Chart
            title="Requests per day, last 30 days"
            {...historySeries(usage.data)}
            height={180}
          />
        </section>
      ) : null}
    </>
  );
}
