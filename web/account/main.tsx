// The customer portal at /account.
import "../shared/styles.css";
import "uplot/dist/uPlot.min.css";
import { SignInForm, useSession } from "../shared/session";
import { mount, Narrow, Shell } from "../shared/shell";

const NAV = [{ to: "/", label: "Overview" }] as const;

function App() {
  const session = useSession();
  if (session.status === "loading") return <p class="loading">Loading…</p>;
  const user = session.user;
  if (!user) {
    return (
      <Narrow title="Sign in">
        <SignInForm />
      </Narrow>
    );
  }
  return (
    <Shell title="tollgate" user={user} nav={NAV}>
      <h1>Overview</h1>
      <p>Signed in as {user.email}.</p>
    </Shell>
  );
}

mount("/account", <App />);
