// Profile: name, locale and time zone; the email address and its confirmation; the password.
import { useState } from "preact/hooks";
import { api } from "../../shared/api";
import { formatDate } from "../../shared/format";
import { Field, Form, NewPasswordField } from "../../shared/forms";
import { useLoad } from "../../shared/load";
import { ProblemAlert } from "../../shared/problem";
import { loadMe } from "./overview";

/** The field's value, or null to clear it. */
const orNull = (value: string | undefined) => (value?.trim() ? value.trim() : null);

export function ProfilePage() {
  const me = useLoad(loadMe);
  const [saved, setSaved] = useState(false);
  const [passwordChanged, setPasswordChanged] = useState(false);
  const user = me.data;
  return (
    <>
      <h1>Profile</h1>
      <ProblemAlert problem={me.problem} />
      {user ? (
        <>
          <section class="card" aria-labelledby="you-heading">
            <h2 id="you-heading">You</h2>
            <p>
              <strong>{user.email}</strong>{" "}
              {user.email_verified ? (
                <span class="badge badge-ok">confirmed</span>
              ) : (
                <span class="badge badge-warn">not confirmed</span>
              )}
            </p>
            <p class="muted">Member since {formatDate(user.created_at)}.</p>
            <Form
              label="Profile"
              submit="Save profile"
              onSubmit={async ({ name, locale, timezone }) => {
                setSaved(false);
                await api("PATCH", "/v1/me", {
                  name: orNull(name),
                  locale: orNull(locale),
                  timezone: orNull(timezone),
                });
                await me.reload();
                setSaved(true);
              }}
            >
              <Field
                label="Name"
                name="name"
                autocomplete="name"
                maxLength={100}
                defaultValue={user.name ?? ""}
              />
              <Field
                label="Language (BCP 47 tag)"
                name="locale"
                maxLength={35}
                placeholder="en-GB"
                defaultValue={user.locale ?? ""}
              />
              <Field
                label="Time zone (IANA)"
                name="timezone"
                maxLength={64}
                placeholder={Intl.DateTimeFormat().resolvedOptions().timeZone}
                defaultValue={user.timezone ?? ""}
              />
            </Form>
            {saved ? (
              <p class="alert alert-ok" role="status">
                Profile saved.
              </p>
            ) : null}
          </section>
          <section class="card" aria-labelledby="password-heading">
            <h2 id="password-heading">Password</h2>
            <Form
              label="Change password"
              submit="Change password"
              onSubmit={async ({ current_password = "", new_password = "" }, form) => {
                setPasswordChanged(false);
                await api("POST", "/v1/me/password", { current_password, new_password });
                form.reset();
                setPasswordChanged(true);
              }}
            >
              <Field
                label="Current password"
                name="current_password"
                type="password"
                autocomplete="current-password"
                required
              />
              <NewPasswordField
                label="New password"
                name="new_password"
                hint="At least 8 characters. Your other sessions are signed out."
              />
            </Form>
            {passwordChanged ? (
              <p class="alert alert-ok" role="status">
                Password changed; your other sessions are signed out.
              </p>
            ) : null}
          </section>
        </>
      ) : null}
    </>
  );
}
