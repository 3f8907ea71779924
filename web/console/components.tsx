// The console's small parts: coloured tags that also say what they mean, compact usage bars,
// a pager over keyset cursors, a modal confirmation dialog, stat tiles and a loading frame.
import type { ComponentChildren } from "preact";
import { useEffect, useId, useRef, useState } from "preact/hooks";
import { Problem } from "../shared/api";
import { meterWidth, usageLabel, usageLevel, usagePercent } from "../shared/format";
import { asProblem, ProblemAlert } from "../shared/problem";
import { humanize, planTone, STANDING_TONES, STATUS_TONES, type Tone } from "./colours";
import { InputError } from "./inputs";
import { type Standing, type UserStatus, WINDOWS, type Windows } from "./types";

/**
 * A failure as a Problem to show: a field the form could not read (InputError) becomes an
 * invalid_request naming it, like the API's own 400.
 */
export function problemOf(error: unknown): Problem {
  if (error instanceof InputError) {
    return new Problem({
      status: 400,
      code: "invalid_request",
      title: "Check the form",
      errors: [{ path: error.path, message: error.message }],
    });
  }
  return asProblem(error);
}

/** Runs a form's submit, turning what the form could not read into a Problem the form shows. */
export function readingInput<A extends unknown[]>(submit: (...args: A) => Promise<void> | void) {
  return async (...args: A): Promise<void> => {
    try {
      await submit(...args);
    } catch (error) {
      throw problemOf(error);
    }
  };
}

/** A count in the reader's locale: 12,345. */
export const formatCount = (n: number): string => new Intl.NumberFormat().format(n);

export function Tag({ tone, children, label }: { tone: Tone; children: string; label?: string }) {
  // Colours through the CSSOM (allowed by the CSP, unlike style attributes in markup).
  return (
    <span
      class="badge tag"
      style={{ color: tone.fg, background: tone.bg }}
      {...(label ? { "aria-label": label } : {})}
    >
      {children}
    </span>
  );
}

export const PlanTag = ({ code }: { code: string }) => (
  <Tag tone={planTone(code)} label={`Plan ${code}`}>
    {code}
  </Tag>
);

export const StandingTag = ({ standing }: { standing: Standing }) => (
  <Tag tone={STANDING_TONES[standing]} label={`Standing: ${humanize(standing)}`}>
    {humanize(standing)}
  </Tag>
);

export const StatusTag = ({ status }: { status: UserStatus }) => (
  <Tag tone={STATUS_TONES[status]} label={`Status: ${status}`}>
    {humanize(status)}
  </Tag>
);

const SHORT: Record<string, string> = { minute: "Min", hour: "Hour", day: "Day", month: "Month" };

/** One bar per window, amber from 80%, red from 100%, each with its number as text. */
export function UsageBars({ windows, who }: { windows: Windows; who: string }) {
  return (
    <ul class="ubars" aria-label={`Usage of ${who}`}>
      {WINDOWS.map((w) => {
        const { used, limit } = windows[w];
        const percent = usagePercent(used, limit);
        const level = usageLevel(percent);
        return (
          <li key={w} class={`ubar ubar-${level}`}>
            <span class="ubar-name">{SHORT[w]}</span>
            {/* The bar repeats the number beside it, for the eye. */}
            <span class="ubar-track" aria-hidden="true">
              <span class="ubar-fill" style={{ width: `${meterWidth(percent)}%` }} />
            </span>
            <span class="ubar-value">{percent === null ? "∞" : `${percent}%`}</span>
            <span class="visually-hidden">: {usageLabel(used, limit)}</span>
          </li>
        );
      })}
    </ul>
  );
}

/**
 * A modal confirmation (the native <dialog>: focus moves into it and stays there, Escape closes
 * it, focus returns to what opened it). Its body may hold fields; they are submitted with it.
 * The browser focuses its first field, or Cancel (the safe choice) when it has none.
 */
export function ConfirmDialog({
  title,
  confirm,
  danger,
  onConfirm,
  onClose,
  children,
}: {
  title: string;
  confirm: string;
  danger?: boolean;
  onConfirm: (values: Record<string, string>, form: HTMLFormElement) => Promise<void>;
  onClose: () => void;
  children?: ComponentChildren;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    ref.current?.showModal();
    return () => opener?.focus();
  }, []);
  return (
    <dialog
      ref={ref}
      class="dialog"
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault();
        if (!busy) onClose();
      }}
    >
      <form
        onSubmit={async (event) => {
          event.preventDefault();
          const form = event.currentTarget;
          const values: Record<string, string> = {};
          for (const [name, value] of new FormData(form)) {
            if (typeof value === "string")
              values[name] = values[name] ? `${values[name]},${value}` : value;
          }
          setBusy(true);
          setProblem(null);
          try {
            await onConfirm(values, form);
            onClose();
          } catch (error) {
            setProblem(problemOf(error));
          } finally {
            setBusy(false);
          }
        }}
      >
        <h2 id={titleId}>{title}</h2>
        <div class="dialog-body">{children}</div>
        <ProblemAlert problem={problem} />
        <div class="actions dialog-actions">
          <button type="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" class={danger ? "danger" : "primary"} disabled={busy}>
            {busy ? `${confirm}…` : confirm}
          </button>
        </div>
      </form>
    </dialog>
  );
}

export function Stat({
  label,
  value,
  detail,
  tone,
}: {
  label: string;
  value: ComponentChildren;
  detail?: ComponentChildren;
  tone?: "ok" | "warn" | "over";
}) {
  return (
    <div class={`stat${tone ? ` stat-${tone}` : ""}`}>
      <p class="stat-label">{label}</p>
      <p class="stat-value">{value}</p>
      {detail ? <p class="stat-detail">{detail}</p> : null}
    </div>
  );
}

/** The data of a view, or its loading note, or the problem that stopped it. */
export function Loading<T>({
  state,
  children,
}: {
  state: { data: T | undefined; problem: Problem | null; loading: boolean };
  children: (data: T) => ComponentChildren;
}) {
  if (state.data !== undefined) {
    return (
      <>
        {state.problem ? <ProblemAlert problem={state.problem} /> : null}
        {children(state.data)}
      </>
    );
  }
  if (state.problem) return <ProblemAlert problem={state.problem} />;
  return (
    <p class="muted" role="status">
      Loading…
    </p>
  );
}

/** A short message that screen readers announce (after an action). */
export function Notice({ text }: { text: string | null }) {
  return (
    <p class="notice" role="status" aria-live="polite">
      {text ?? ""}
    </p>
  );
}

/**
 * An action started from a button: which one is running, what it said, and its problem if it
 * failed. `run` reports `done`'s message (or the result's) and announces it.
 */
export function useAction() {
  const [busy, setBusy] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  async function run(key: string, work: (say: (text: string) => void) => Promise<string>) {
    setBusy(key);
    setProblem(null);
    try {
      setNotice(await work(setNotice));
    } catch (error) {
      setNotice(null);
      setProblem(problemOf(error));
    } finally {
      setBusy(null);
    }
  }
  const status = (
    <>
      <Notice text={notice} />
      <ProblemAlert problem={problem} />
    </>
  );
  return { busy, run, status };
}
