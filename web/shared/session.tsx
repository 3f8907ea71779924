// The session as the apps see it: on load, the refresh cookie (if any) is traded for an access
// token, so a reload keeps the user signed in without the token ever touching storage.
import { useEffect, useState } from "preact/hooks";
import { hasSessionCookie, onSessionChange, refreshSession, sessionUser, signIn } from "./api";
import { Field, Form } from "./forms";
import type { SessionUser } from "./types";

export type SessionState = { status: "loading" } | { status: "ready"; user: SessionUser | null };

/** The signed-in user, after the first refresh attempt; re-renders on sign-in and sign-out. */
export function useSession(): SessionState {
  const [state, setState] = useState<SessionState>({ status: "loading" });
  useEffect(() => {
    const off = onSessionChange((user) => setState({ status: "ready", user }));
    if (sessionUser()) setState({ status: "ready", user: sessionUser() });
    else if (!hasSessionCookie()) setState({ status: "ready", user: null });
    else
      void refreshSession().then((ok) => {
        if (!ok) setState({ status: "ready", user: null });
      });
    return off;
  }, []);
  return state;
}

/** Email and password; `onSignedIn` may refuse the user (the console refuses non-admins). */
export function SignInForm({ onSignedIn }: { onSignedIn?: (user: SessionUser) => Promise<void> }) {
  return (
    <Form
      label="Sign in"
      submit="Sign in"
      onSubmit={async ({ email = "", password = "" }) => {
        const user = await signIn(email, password);
        await onSignedIn?.(user);
      }}
    >
      <Field label="Email" name="email" type="email" autocomplete="username" required />
      <Field
        label="Password"
        name="password"
        type="password"
        autocomplete="current-password"
        required
      />
    </Form>
  );
}
