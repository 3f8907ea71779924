// A user's quick actions, each confirmed in a dialog: change plan (granted at no charge),
// reset usage, disable or enable the account.
import { useState } from "preact/hooks";
import { sessionUser } from "../../shared/api";
import { useLoad } from "../../shared/load";
import { admin, cachedPlans } from "../admin-api";
import { ConfirmDialog, Notice } from "../components";
import { type AdminUser, type Subscription, WINDOWS, type Window } from "../types";

type Open = "plan" | "reset" | "status" | null;

/** A provider subscription that is running: its owner changes it, not an admin. */
export const paysThroughProvider = (s: Subscription | null): boolean =>
  s !== null &&
  s.provider !== "manual" &&
  ["trialing", "active", "past_due", "paused"].includes(s.status);

export function QuickActions({
  user,
  subscription,
  onChanged,
}: {
  user: AdminUser;
  subscription: Subscription | null;
  onChanged: (what: "plan" | "usage" | "status") => Promise<void>;
}) {
  const [open, setOpen] = useState<Open>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const close = () => setOpen(null);
  const deleted = user.status === "deleted";
  const disabled = user.status === "disabled";
  return (
    <section aria-label="Quick actions" class="quick-actions">
      <div class="actions">
        <button type="button" onClick={() => setOpen("plan")} disabled={deleted}>
          Change plan…
        </button>
        <button type="button" onClick={() => setOpen("reset")} disabled={deleted}>
          Reset usage…
        </button>
        <button
          type="button"
          class={disabled ? undefined : "danger"}
          onClick={() => setOpen("status")}
          disabled={deleted || user.id === sessionUser()?.id}
        >
          {disabled ? "Enable account…" : "Disable account…"}
        </button>
      </div>
      <Notice text={notice} />
      {open === "plan" ? (
        <ChangePlanDialog
          user={user}
          subscription={subscription}
          onClose={close}
          onDone={async (text) => {
            setNotice(text);
            await onChanged("plan");
          }}
        />
      ) : null}
      {open === "reset" ? (
        <ConfirmDialog
          title={`Reset the usage of ${user.email}`}
          confirm="Reset usage"
          onClose={close}
          onConfirm={async (values) => {
            const windows = (values.windows ?? "").split(",").filter(Boolean) as Window[];
            if (windows.length === 0) throw new Error("Choose at least one window");
            await admin.resetUsage(user.id, windows);
            setNotice(`Usage reset (${windows.join(", ")}).`);
            await onChanged("usage");
          }}
        >
          <p>The chosen windows start again at zero now; the usage history is kept.</p>
          <fieldset>
            <legend>Windows</legend>
            {WINDOWS.map((w) => (
              <div class="field field-check" key={w}>
                <input id={`reset-${w}`} type="checkbox" name="windows" value={w} defaultChecked />
                <label for={`reset-${w}`}>{w[0]?.toUpperCase() + w.slice(1)}</label>
              </div>
            ))}
          </fieldset>
        </ConfirmDialog>
      ) : null}
      {open === "status" ? (
        <ConfirmDialog
          title={disabled ? `Enable ${user.email}` : `Disable ${user.email}`}
          confirm={disabled ? "Enable account" : "Disable account"}
          danger={!disabled}
          onClose={close}
          onConfirm={async () => {
            await admin.setUserStatus(user.id, disabled ? "active" : "disabled");
            setNotice(disabled ? "Account enabled." : "Account disabled.");
            await onChanged("status");
          }}
        >
          <p>
            {disabled
              ? "Their sign-in, sessions and API keys work again from the next request."
              : "Every session ends and every API key is refused from the next request. Nothing is deleted; you can enable the account again."}
          </p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}

function ChangePlanDialog({
  user,
  subscription,
  onClose,
  onDone,
}: {
  user: AdminUser;
  subscription: Subscription | null;
  onClose: () => void;
  onDone: (notice: string) => Promise<void>;
}) {
  const plans = useLoad(() => cachedPlans(), []);
  const active = (plans.data ?? []).filter((p) => p.status === "active");
  const current = subscription?.plan?.id ?? active.find((p) => p.code === "free")?.id ?? "";
  const provider = paysThroughProvider(subscription) ? subscription?.provider : null;
  return (
    <ConfirmDialog
      title={`Change the plan of ${user.email}`}
      confirm="Change plan"
      onClose={onClose}
      onConfirm={async (values) => {
        const planId = values.plan_id ?? "";
        const interval = values.interval === "year" ? "year" : "month";
        const answer = await admin.grantPlan(user.id, planId, interval);
        const name = active.find((p) => p.id === planId)?.name ?? planId;
        await onDone(
          answer.subscription
            ? `Now on ${name} (${interval}ly, granted at no charge).`
            : "Back on the free plan.",
        );
      }}
    >
      {provider ? (
        <div class="alert alert-warn">
          This user pays through {provider}. They change or cancel that subscription themselves
          (from their account); the console cannot replace it.
        </div>
      ) : (
        <p>
          The plan is granted at no charge (a manual subscription that renews each period) and is in
          force from their next request. The free plan ends a granted plan now.
        </p>
      )}
      <div class="field">
        <label for="grant-plan">Plan</label>
        <select id="grant-plan" name="plan_id" defaultValue={current} required key={current}>
          {active.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name} ({p.code})
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="grant-interval">Period</label>
        <select
          id="grant-interval"
          name="interval"
          defaultValue={subscription?.interval ?? "month"}
        >
          <option value="month">Monthly</option>
          <option value="year">Yearly</option>
        </select>
      </div>
    </ConfirmDialog>
  );
}
