// The admin console at /console. Signed out: the sign-in page. Signed in without the admin role
// (the session is shared with /account): a clear refusal and no console. Signed in as an admin:
// the dashboard, users, plans, coupons, payments, webhook events, jobs and the audit log, every
// one of them read and changed through the admin API only.
import "../shared/styles.css";
import "uplot/dist/uPlot.min.css";
import "./console.css";
import { useEffect, useRef } from "preact/hooks";
import { signOut } from "../shared/api";
import { match, useRoute } from "../shared/router";
import { SignInForm, useSession } from "../shared/session";
import { mount, Narrow, Shell } from "../shared/shell";
import { AuditPage } from "./pages/audit";
import { CouponFormPage, CouponsPage } from "./pages/coupons";
import { DashboardPage } from "./pages/dashboard";
import { JobsPage } from "./pages/jobs";
import { PaymentsPage } from "./pages/payments";
import { PlanFormPage, PlansPage } from "./pages/plans";
import { UserPage } from "./pages/user";
import { UsersPage } from "./pages/users";
import { WebhooksPage } from "./pages/webhooks";

const NAV = [
  { to: "/", label: "Dashboard" },
  { to: "/users", label: "Users" },
  { to: "/plans", label: "Plans" },
  { to: "/coupons", label: "Coupons" },
  { to: "/payments", label: "Payments" },
  { to: "/webhooks", label: "Webhook events" },
  { to: "/jobs", label: "Jobs" },
  { to: "/audit", label: "Audit log" },
] as const;

/** The page for a path, and its name for the document title. */
function route(path: string): { title: string; page: preact.JSX.Element } {
  const id = (pattern: string) => match(pattern, path)?.id ?? null;
  if (path === "/") return { title: "Dashboard", page: <DashboardPage /> };
  if (path === "/users") return { title: "Users", page: <UsersPage /> };
  const user = id("/users/:id");
  if (user) return { title: "User", page: <UserPage key={user} id={user} /> };
  if (path === "/plans") return { title: "Plans", page: <PlansPage /> };
  if (path === "/plans/new") return { title: "New plan", page: <PlanFormPage id={null} /> };
  const plan = id("/plans/:id");
  if (plan) return { title: "Edit plan", page: <PlanFormPage key={plan} id={plan} /> };
  if (path === "/coupons") return { title: "Coupons", page: <CouponsPage /> };
  if (path === "/coupons/new") return { title: "New coupon", page: <CouponFormPage id={null} /> };
  const coupon = id("/coupons/:id");
  if (coupon) return { title: "Edit coupon", page: <CouponFormPage key={coupon} id={coupon} /> };
  if (path === "/payments") return { title: "Payments", page: <PaymentsPage /> };
  if (path === "/webhooks") return { title: "Webhook events", page: <WebhooksPage /> };
  if (path === "/jobs") return { title: "Jobs", page: <JobsPage /> };
  if (path === "/audit") return { title: "Audit log", page: <AuditPage /> };
  return { title: "Not found", page: <h1>Page not found</h1> };
}

function Console() {
  const { path } = useRoute();
  const { title, page } = route(path);
  const first = useRef(true);
  useEffect(() => {
    document.title = `${title} · Console · tollgate`;
    // After a navigation (not the first load), move focus to the page so it is read from the top.
    if (first.current) first.current = false;
    else document.getElementById("main")?.focus();
  }, [path, title]);
  return page;
}

function App() {
  const session = useSession();
  if (session.status === "loading") return <p class="loading">Loading…</p>;
  const user = session.user;
  if (!user) {
    return (
      <Narrow title="Console sign-in">
        <p class="muted">Sign in with an administrator account.</p>
        <SignInForm />
      </Narrow>
    );
  }
  if (user.role !== "admin") {
    return (
      <Narrow title="Console sign-in">
        <div class="alert alert-error" role="alert">
          <strong>This account is not an administrator.</strong>
          <p>
            {user.email} cannot use the console. Your own account is at{" "}
            <a href="/account/">/account</a>.
          </p>
        </div>
        <p class="actions">
          <button type="button" class="primary" onClick={() => void signOut()}>
            Sign out and sign in as an administrator
          </button>
        </p>
      </Narrow>
    );
  }
  return (
    <Shell title="tollgate console" user={user} nav={NAV}>
      <Console />
    </Shell>
  );
}

mount("/console", <App />);
