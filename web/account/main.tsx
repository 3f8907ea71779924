// The customer portal at /account: sign-up and sign-in, the pages emails link to, and, signed
// in, the overview, usage, plan and billing, API keys, profile and settings.
import "../shared/styles.css";
import "uplot/dist/uPlot.min.css";
import type { ComponentType } from "preact";
import { useEffect } from "preact/hooks";
import { navigate, useRoute } from "../shared/router";
import { useSession } from "../shared/session";
import { mount, Shell } from "../shared/shell";
import { ForgotPage, ResetPage, SignInPage, SignUpPage, VerifyPage } from "./pages/auth";
import { BillingPage } from "./pages/billing";
import { KeysPage } from "./pages/keys";
import { OverviewPage } from "./pages/overview";
import { ProfilePage } from "./pages/profile";
import { SettingsPage } from "./pages/settings";
import { UsagePage } from "./pages/usage";

const NAV = [
  { to: "/", label: "Overview" },
  { to: "/usage", label: "Usage" },
  { to: "/billing", label: "Plan and billing" },
  { to: "/keys", label: "API keys" },
  { to: "/profile", label: "Profile" },
  { to: "/settings", label: "Settings" },
] as const;

const SIGNED_IN: Record<string, ComponentType> = {
  "/": OverviewPage,
  "/usage": UsagePage,
  "/billing": BillingPage,
  "/keys": KeysPage,
  "/profile": ProfilePage,
  "/settings": SettingsPage,
};

const SIGNED_OUT: Record<string, ComponentType> = {
  "/signup": SignUpPage,
  "/forgot": ForgotPage,
};

/** Pages emails link to: the same signed in or not. */
const FROM_EMAIL: Record<string, ComponentType> = { "/verify": VerifyPage, "/reset": ResetPage };

function NotFound() {
  return (
    <>
      <h1>Page not found</h1>
      <p>There is no page at this address.</p>
    </>
  );
}

const TITLES: Record<string, string> = Object.fromEntries(NAV.map((n) => [n.to, n.label]));

function App() {
  const session = useSession();
  const { path } = useRoute();
  const user = session.status === "ready" ? session.user : null;
  // Signed in on a signed-out page (after signing up or in): go to the overview.
  useEffect(() => {
    if (user && SIGNED_OUT[path]) navigate("/", { replace: true });
  }, [user, path]);
  useEffect(() => {
    document.title = `${TITLES[path] ?? "Your account"} · tollgate`;
  }, [path]);

  const fromEmail = FROM_EMAIL[path];
  if (fromEmail) {
    const Page = fromEmail;
    return <Page />;
  }
  if (session.status === "loading") return <p class="loading">Loading…</p>;
  if (!user) {
    const Page = SIGNED_OUT[path] ?? SignInPage;
    return <Page />;
  }
  const Page = SIGNED_IN[path] ?? NotFound;
  return (
    <Shell title="tollgate" user={user} nav={NAV}>
      <Page />
    </Shell>
  );
}

mount("/account", <App />);
