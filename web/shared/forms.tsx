// Form parts with labels: every field has a <label>, its error is tied to it with
// aria-describedby, forms submit with Enter (they are real <form>s) and show the problem a
// failed request answered.
import { type ComponentChildren, createContext } from "preact";
import { useContext, useId, useState } from "preact/hooks";
import type { Problem } from "./api";
import { asProblem, fieldMessages, ProblemAlert } from "./problem";

/** The messages the enclosing form's last problem has, by field name. */
const FieldErrors = createContext<Record<string, string>>({});

/** A field's hint or error, referenced by the control's aria-describedby; nothing when empty. */
function FieldMessage(props: { id: string; class: string; text: string | undefined }) {
  if (!props.text) return null;
  return (
    <p class={props.class} id={props.id}>
      {props.text}
    </p>
  );
}

/** What a field passes on to its <input>. */
interface InputAttributes {
  name: string;
  type?: "text" | "email" | "password" | "number" | "search" | "url" | "date" | "datetime-local";
  value?: string | number;
  defaultValue?: string | number;
  required?: boolean;
  autocomplete?: string;
  placeholder?: string;
  minLength?: number;
  maxLength?: number;
  min?: number | string;
  max?: number | string;
  step?: number | string;
  readOnly?: boolean;
  onInput?: (event: Event & { currentTarget: HTMLInputElement }) => void;
}

type InputProps = InputAttributes & {
  label: string;
  /** The message for this field from the last problem, if any. */
  error?: string | undefined;
  hint?: string;
};

export function Field({ label, error: given, hint, type = "text", ...input }: InputProps) {
  const id = useId();
  const error = given ?? useContext(FieldErrors)[input.name];
  const describedBy = [hint ? `${id}-hint` : null, error ? `${id}-error` : null]
    .filter(Boolean)
    .join(" ");
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input
        id={id}
        // Preact's types key each input's attributes by its type; the types here are all text-like.
        type={type as "text"}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy || undefined}
        {...input}
      />
      <FieldMessage id={`${id}-hint`} class="hint" text={hint} />
      <FieldMessage id={`${id}-error`} class="field-error" text={error} />
    </div>
  );
}

/** A new password, with the API's rules (8 to 128 characters) and the browser's autocomplete. */
export function NewPasswordField({
  label = "Password",
  name = "password",
  hint = "At least 8 characters.",
}: {
  label?: string;
  name?: string;
  hint?: string;
}) {
  return (
    <Field
      label={label}
      name={name}
      type="password"
      autocomplete="new-password"
      minLength={8}
      maxLength={128}
      hint={hint}
      required
    />
  );
}

type SelectProps = {
  label: string;
  name: string;
  value?: string;
  defaultValue?: string;
  required?: boolean;
  onChange?: (event: Event & { currentTarget: HTMLSelectElement }) => void;
  options: readonly { value: string; label: string }[];
  error?: string | undefined;
};

export function SelectField({ label, options, error: given, ...select }: SelectProps) {
  const id = useId();
  const error = given ?? useContext(FieldErrors)[select.name];
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select
        id={id}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        {...select}
      >
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      <FieldMessage id={`${id}-error`} class="field-error" text={error} />
    </div>
  );
}

type CheckboxProps = {
  label: string;
  name: string;
  checked?: boolean;
  defaultChecked?: boolean;
  value?: string;
};

export function CheckboxField({ label, ...input }: CheckboxProps) {
  const id = useId();
  return (
    <div class="field field-check">
      <input id={id} type="checkbox" {...input} />
      <label for={id}>{label}</label>
    </div>
  );
}

/** The values of a form's named fields. */
export function formValues(form: HTMLFormElement): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, value] of new FormData(form)) {
    if (typeof value === "string") values[name] = value;
  }
  return values;
}

interface FormProps {
  /** Runs with the form's values; a thrown Problem is shown above the submit button. */
  onSubmit: (values: Record<string, string>, form: HTMLFormElement) => Promise<void> | void;
  submit: string;
  children: ComponentChildren;
  /** The label of a secondary, dangerous action (styles the button red). */
  danger?: boolean;
  label?: string;
}

/** A form that submits with Enter, disables itself while busy and shows the failure. */
export function Form({ onSubmit, submit, children, danger, label }: FormProps) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const fields = fieldMessages(problem);
  return (
    <form
      class="form"
      aria-label={label}
      onSubmit={async (event) => {
        event.preventDefault();
        const form = event.currentTarget;
        setBusy(true);
        setProblem(null);
        try {
          await onSubmit(formValues(form), form);
        } catch (error) {
          setProblem(asProblem(error));
        } finally {
          setBusy(false);
        }
      }}
    >
      <FieldErrors.Provider value={fields}>{children}</FieldErrors.Provider>
      <ProblemAlert problem={problem} />
      <div class="actions">
        <button type="submit" class={danger ? "button danger" : "button primary"} disabled={busy}>
          {busy ? `${submit}…` : submit}
        </button>
      </div>
    </form>
  );
}
