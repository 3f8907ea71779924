// The signed-out pages (sign in, sign up, forgot password) and the two pages emails link to
// (/account/verify?token=…, /account/reset?token=…), which work signed in or not.
import { useEffect, useState } from "preact/hooks";
import { api, type Problem, signUp } from "../../shared/api";
import { Field, Form, NewPasswordField } from "../../shared/forms";
import { asProblem, ProblemAlert } from "../../shared/problem";
import { Link, navigate, useRoute } from "../../shared/router";
import { SignInForm } from "../../shared/session";
import { Narrow } from "../../shared/shell";

export function SignInPage() {
  const deleted = useRoute().query.get("deleted") === "1";
  return (
    <Narrow title="Sign in">
      {deleted ? (
        <div class="alert alert-info" role="status">
          Your account is deleted. Thank you for having used tollgate.
        </div>
      ) : null}
      <SignInForm />
      <p>
        New here? <Link to="/signup">Create an account</Link> ·{" "}
        <Link to="/forgot">Forgot your password?</Link>
      </p>
    </Narrow>
  );
}

export function SignUpPage() {
  return (
    <Narrow title="Create your account">
      <Form
        label="Create your account"
        submit="Create account"
        onSubmit={async ({ email = "", password = "", name = "" }) => {
          await signUp({ email, password, ...(name.trim() ? { name: name.trim() } : {}) });
          navigate("/", { replace: true });
        }}
      >
        <Field label="Name (optional)" name="name" autocomplete="name" maxLength={100} />
        <Field label="Email" name="email" type="email" autocomplete="email" required />
        <NewPasswordField />
      </Form>
      <p>
        Already have an account? <Link to="/">Sign in</Link>
      </p>
    </Narrow>
  );
}

export function ForgotPage() {
  const [sent, setSent] = useState<string | null>(null);
  return (
    <Narrow title="Reset your password">
      {sent ? (
        <div class="alert alert-ok" role="status">
          If {sent} has an account, a link to set a new password is on its way. It is valid for a
          limited time.
        </div>
      ) : (
        <Form
          label="Reset your password"
          submit="Email me a link"
          onSubmit={async ({ email = "" }) => {
            await api("POST", "/v1/auth/password/forgot", { email });
            setSent(email);
          }}
        >
          <Field label="Email" name="email" type="email" autocomplete="email" required />
        </Form>
      )}
      <p>
        <Link to="/">Back to sign in</Link>
      </p>
    </Narrow>
  );
}

export function ResetPage() {
  const token = useRoute().query.get("token") ?? "";
  const [done, setDone] = useState(false);
  return (
    <Narrow title="Choose a new password">
      {done ? (
        <div class="alert alert-ok" role="status">
          Your password is changed and every session was signed out.{" "}
          <Link to="/">Sign in with the new password</Link>.
        </div>
      ) : (
        <Form
          label="Choose a new password"
          submit="Set password"
          onSubmit={async ({ password = "" }) => {
            await api("POST", "/v1/auth/password/reset", { token, password });
            setDone(true);
          }}
        >
          <NewPasswordField label="New password" />
        </Form>
      )}
    </Narrow>
  );
}

export function VerifyPage() {
  const token = useRoute().query.get("token") ?? "";
  const [state, setState] = useState<"working" | "done" | Problem>("working");
  useEffect(() => {
    api("POST", "/v1/auth/email/verify", { token }).then(
      () => setState("done"),
      (error: unknown) => setState(asProblem(error)),
    );
  }, [token]);
  return (
    <Narrow title="Confirm your email">
      {state === "working" ? <p role="status">Confirming…</p> : null}
      {state === "done" ? (
        <div class="alert alert-ok" role="status">
          Your email address is confirmed.
        </div>
      ) : null}
      {typeof state === "object" ? <ProblemAlert problem={state} /> : null}
      <p>
        <Link to="/">Go to your account</Link>
      </p>
    </Narrow>
  );
}
