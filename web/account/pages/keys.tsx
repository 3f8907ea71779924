// API keys: create (the key is shown this once, with a copy button; it lives only in this
// component's state, so it is gone after navigating away or reloading), list, revoke.
import { useState } from "preact/hooks";
import { api } from "../../shared/api";
import { formatDate, formatDateTime } from "../../shared/format";
import { Field, Form } from "../../shared/forms";
import { useLoad } from "../../shared/load";
import { asProblem, ProblemAlert } from "../../shared/problem";
import type { ApiKey } from "../../shared/types";

type Created = ApiKey & { key: string };

function NewKey({ created, onDone }: { created: Created; onDone: () => void }) {
  const [copied, setCopied] = useState<"no" | "yes" | "failed">("no");
  return (
    <div class="alert alert-ok" role="status" aria-live="polite">
      <p>
        <strong>Your new key “{created.name}”.</strong> Copy it now: it is shown only this once.
      </p>
      <div class="secret">
        <code id="new-api-key">{created.key}</code>
        <button
          type="button"
          class="primary"
          onClick={async () => {
            try {
              await navigator.clipboard.writeText(created.key);
              setCopied("yes");
            } catch {
              setCopied("failed");
            }
          }}
        >
          Copy key
        </button>
        <button type="button" onClick={onDone}>
          Done
        </button>
      </div>
      {copied === "yes" ? <p>Copied to the clipboard.</p> : null}
      {copied === "failed" ? <p>Copying failed: select the key and copy it by hand.</p> : null}
    </div>
  );
}

function KeyRow({ apiKey, onRevoked }: { apiKey: ApiKey; onRevoked: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const [problem, setProblem] = useState<ReturnType<typeof asProblem> | null>(null);
  return (
    <tr>
      <td>{apiKey.name}</td>
      <td>
        <code>{apiKey.prefix}</code>
      </td>
      <td>{formatDate(apiKey.created_at)}</td>
      <td>{apiKey.last_used_at ? formatDateTime(apiKey.last_used_at) : "Never"}</td>
      <td>{apiKey.expires_at ? formatDate(apiKey.expires_at) : "Never"}</td>
      <td>
        {confirming ? (
          <span class="actions">
            <button
              type="button"
              class="danger"
              onClick={async () => {
                try {
                  await api("DELETE", `/v1/me/api-keys/${apiKey.id}`);
                  onRevoked();
                } catch (error) {
                  setProblem(asProblem(error));
                }
              }}
            >
              Revoke “{apiKey.name}” now
            </button>
            <button type="button" onClick={() => setConfirming(false)}>
              Keep it
            </button>
          </span>
        ) : (
          <button type="button" onClick={() => setConfirming(true)}>
            Revoke<span class="visually-hidden"> {apiKey.name}</span>
          </button>
        )}
        <ProblemAlert problem={problem} />
      </td>
    </tr>
  );
}

export function KeysPage() {
  const keys = useLoad(() => api<{ data: ApiKey[] }>("GET", "/v1/me/api-keys"));
  const [created, setCreated] = useState<Created | null>(null);
  return (
    <>
      <h1>API keys</h1>
      <p class="muted">
        Send a key as <code>Authorization: Bearer tgk_…</code> (or <code>X-API-Key</code>). Its
        requests count against your plan's limits. Only a hash is kept: a lost key cannot be shown
        again; revoke it and create another.
      </p>
      {created ? <NewKey created={created} onDone={() => setCreated(null)} /> : null}
      <section class="card" aria-labelledby="create-heading">
        <h2 id="create-heading">Create a key</h2>
        <Form
          label="Create a key"
          submit="Create key"
          onSubmit={async ({ name = "", expires = "" }, form) => {
            const body = {
              name: name.trim(),
              ...(expires ? { expires_at: new Date(`${expires}T23:59:59`).toISOString() } : {}),
            };
            setCreated(await api<Created>("POST", "/v1/me/api-keys", body));
            form.reset();
            await keys.reload();
          }}
        >
          <Field
            label="Name"
            name="name"
            maxLength={100}
            required
            hint="What the key is for, e.g. “production server”."
          />
          <Field label="Expires on (optional)" name="expires" type="date" />
        </Form>
      </section>
      <section class="card" aria-labelledby="list-heading">
        <h2 id="list-heading">Your keys</h2>
        <ProblemAlert problem={keys.problem} />
        {keys.data && keys.data.data.length === 0 ? <p class="muted">No keys yet.</p> : null}
        {keys.data && keys.data.data.length > 0 ? (
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.data.data.map((k) => (
                <KeyRow
                  key={k.id}
                  apiKey={k}
                  onRevoked={() => {
                    if (created?.id === k.id) setCreated(null);
                    void keys.reload();
                  }}
                />
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
    </>
  );
}
