// Settings: preferences, the data export (a JSON download) and deleting the account.
import { useState } from "preact/hooks";
import { api, download, signOut } from "../../shared/api";
import { CheckboxField, Field, Form, SelectField } from "../../shared/forms";
import { useLoad } from "../../shared/load";
import { asProblem, ProblemAlert } from "../../shared/problem";
import { navigate } from "../../shared/router";

interface Settings {
  theme: "light" | "dark" | "system";
  items_per_page: number;
  auto_refresh_seconds: number;
  email_notifications: boolean;
  analytics_sharing: boolean;
}

const THEMES = [
  { value: "system", label: "Like the system" },
  { value: "light", label: "Light" },
  { value: "dark", label: "Dark" },
] as const;

export function SettingsPage() {
  const settings = useLoad(() => api<Settings>("GET", "/v1/me/settings"));
  const [saved, setSaved] = useState(false);
  const [exportProblem, setExportProblem] = useState<ReturnType<typeof asProblem> | null>(null);
  const s = settings.data;
  return (
    <>
      <h1>Settings</h1>
      <ProblemAlert problem={settings.problem} />
      {s ? (
        <section class="card" aria-labelledby="prefs-heading">
          <h2 id="prefs-heading">Preferences</h2>
          <Form
            label="Preferences"
            submit="Save settings"
            onSubmit={async (values) => {
              setSaved(false);
              await api("PUT", "/v1/me/settings", {
                theme: values.theme,
                items_per_page: Number(values.items_per_page),
                auto_refresh_seconds: Number(values.auto_refresh_seconds),
                email_notifications: values.email_notifications === "on",
                analytics_sharing: values.analytics_sharing === "on",
              });
              await settings.reload();
              setSaved(true);
            }}
          >
            <SelectField label="Theme" name="theme" defaultValue={s.theme} options={THEMES} />
            <Field
              label="Items per page"
              name="items_per_page"
              type="number"
              min={5}
              max={200}
              defaultValue={s.items_per_page}
              required
            />
            <Field
              label="Auto-refresh (seconds, 0 for off)"
              name="auto_refresh_seconds"
              type="number"
              min={0}
              max={3600}
              defaultValue={s.auto_refresh_seconds}
              required
            />
            <CheckboxField
              label="Email me about my account"
              name="email_notifications"
              defaultChecked={s.email_notifications}
            />
            <CheckboxField
              label="Share anonymous usage analytics"
              name="analytics_sharing"
              defaultChecked={s.analytics_sharing}
            />
          </Form>
          {saved ? (
            <p class="alert alert-ok" role="status">
              Settings saved.
            </p>
          ) : null}
        </section>
      ) : null}
      <section class="card" aria-labelledby="export-heading">
        <h2 id="export-heading">Your data</h2>
        <p>
          Everything stored about you (profile, subscriptions, payments, keys, usage, sessions), as
          JSON.
        </p>
        <button
          type="button"
          onClick={async () => {
            setExportProblem(null);
            try {
              await download("/v1/me/export", "tollgate-export.json");
            } catch (error) {
              setExportProblem(asProblem(error));
            }
          }}
        >
          Download my data
        </button>
        <ProblemAlert problem={exportProblem} />
      </section>
      <section class="card" aria-labelledby="delete-heading">
        <h2 id="delete-heading">Delete account</h2>
        <p>
          This cancels any subscription at once, revokes every key and signs you out everywhere. It
          cannot be undone.
        </p>
        <Form
          label="Delete account"
          submit="Delete my account"
          danger
          onSubmit={async ({ password = "" }) => {
            await api("DELETE", "/v1/me", { password });
            await signOut();
            navigate("/?deleted=1", { replace: true });
          }}
        >
          <Field
            label="Your password, to confirm"
            name="password"
            type="password"
            autocomplete="current-password"
            required
          />
        </Form>
      </section>
    </>
  );
}
