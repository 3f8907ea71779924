// The admin console at /console. Signed out: the sign-in page. Signed in without the admin role
// (the session is shared with /account): a clear refusal, with a way out. The console's pages
// are built on this shell.
import "../shared/styles.css";
import "uplot/dist/uPlot.min.css";
import { signOut } from "../shared/api";
import { SignInForm, useSession } from "../shared/session";
import { mount, Narrow, Shell } from "../shared/shell";

const NAV = [{ to: "/", label: "Dashboard" }] as const;

function App() {
  const session = useSession();
  if (session.status === "loading") return <p class="loading">Loading…</p>;
  const user = session.user;
  if (!user) {
    return (
      <Narrow title="Console sign-in">
        <SignInForm />
      </Narrow>
    );
  }
  if (user.role !== "admin") {
    return (
      <Narrow title="Console sign-in">
        <div class="alert alert-error" role="alert">
          <strong>Admins only.</strong>
          <p>
            {user.email} is not an admin account. Your own account is at{" "}
            <a href="/account/">/account</a>.
          </p>
        </div>
        <p class="actions">
          <button type="button" class="primary" onClick={() => void signOut()}>
            Sign out and sign in as an admin
          </button>
        </p>
      </Narrow>
    );
  }
  return (
    <Shell title="tollgate console" user={user} nav={NAV}>
      <h1>Dashboard</h1>
      <p>Signed in as {user.email}.</p>
    </Shell>
  );
}

mount("/console", <App />);
