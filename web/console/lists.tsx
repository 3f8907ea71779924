// The console's lists: a page of a list route at a time over keyset cursors, table heads, and
// the filters form whose values live in the URL.
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { useLoad } from "../shared/load";
import { navigate } from "../shared/router";
import { humanize } from "./colours";
import { Loading } from "./components";
import { type PageRequest, queryString } from "./query";
import type { Page } from "./types";

/**
 * Keyset paging: the cursors of the pages before this one, so "Previous" goes back exactly.
 * A list whose filters change is a new list: key its component by them, and it starts again.
 */
export function useCursorPager() {
  const [stack, setStack] = useState<(string | null)[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  return {
    cursor,
    page: stack.length + 1,
    next: (nextCursor: string) => {
      setStack((s) => [...s, cursor]);
      setCursor(nextCursor);
    },
    prev: () => {
      setCursor(stack.at(-1) ?? null);
      setStack(stack.slice(0, -1));
    },
  };
}

export function Pager({
  pager,
  nextCursor,
  label,
}: {
  pager: ReturnType<typeof useCursorPager>;
  nextCursor: string | null | undefined;
  label: string;
}) {
  if (pager.page === 1 && !nextCursor) return null;
  return (
    <nav class="pager actions" aria-label={`${label} pages`}>
      <button type="button" disabled={pager.page === 1} onClick={pager.prev}>
        Previous
      </button>
      <span class="muted">Page {pager.page}</span>
      <button
        type="button"
        disabled={!nextCursor}
        onClick={() => nextCursor && pager.next(nextCursor)}
      >
        Next
      </button>
    </nav>
  );
}

export interface FilterField {
  name: string;
  label: string;
  /** A select of these values (with "Any"); a text field without. */
  options?: readonly string[];
  placeholder?: string;
}

/**
 * A list's filters as a form whose submit puts them in the URL (`path?name=value…`); the list
 * below reads them back from there.
 */
export function FilterForm({
  path,
  label,
  fields,
  values,
}: {
  path: string;
  label: string;
  fields: readonly FilterField[];
  values: Record<string, string>;
}) {
  const key = queryString(values);
  const active = Object.values(values).some((v) => v !== "");
  return (
    <form
      class="filters"
      aria-label={label}
      onSubmit={(event) => {
        event.preventDefault();
        const data = new FormData(event.currentTarget);
        navigate(
          `${path}${queryString(Object.fromEntries(fields.map((f) => [f.name, String(data.get(f.name) ?? "")])))}`,
        );
      }}
    >
      {fields.map((f) => {
        const id = `filter-${f.name}`;
        return (
          <div class="field" key={f.name}>
            <label for={id}>{f.label}</label>
            {f.options ? (
              <select id={id} name={f.name} defaultValue={values[f.name] ?? ""} key={key}>
                <option value="">Any</option>
                {f.options.map((o) => (
                  <option key={o} value={o}>
                    {humanize(o)}
                  </option>
                ))}
              </select>
            ) : (
              <input
                id={id}
                name={f.name}
                defaultValue={values[f.name] ?? ""}
                key={key}
                placeholder={f.placeholder}
              />
            )}
          </div>
        );
      })}
      <div class="actions filter-actions">
        <button type="submit" class="primary">
          Filter
        </button>
        {active ? (
          <button type="button" onClick={() => navigate(path)}>
            Clear filters
          </button>
        ) : null}
      </div>
    </form>
  );
}

/** A column of a table's head: its label, right-aligned for numbers, or hidden (actions). */
export type Column = string | { label: string; num?: boolean; hidden?: boolean };

export function TableHead({ columns }: { columns: readonly Column[] }) {
  return (
    <thead>
      <tr>
        {columns.map((column) => {
          const c = typeof column === "string" ? { label: column } : column;
          return (
            <th scope="col" key={c.label} class={c.num ? "num" : undefined}>
              {c.hidden ? <span class="visually-hidden">{c.label}</span> : c.label}
            </th>
          );
        })}
      </tr>
    </thead>
  );
}

/** The last column of a table whose rows have buttons. */
export const ACTIONS: Column = { label: "Actions", hidden: true };

/**
 * One list route, a page at a time (keyset cursors, "Previous" and "Next"), its empty state,
 * and the rows drawn by `children`, which also gets a way to load the page again (after an
 * action). Key it by its filters: new filters are a new list, from page one.
 */
export function PagedList<T>({
  load,
  label,
  empty,
  children,
}: {
  load: (page: PageRequest) => Promise<Page<T>>;
  label: string;
  empty: string;
  children: (items: T[], reload: () => Promise<void>) => ComponentChildren;
}) {
  const pager = useCursorPager();
  const list = useLoad(() => load({ cursor: pager.cursor, limit: 25 }), [pager.cursor]);
  return (
    <Loading state={list}>
      {(page) =>
        page.data.length === 0 ? (
          <p class="empty">{empty}</p>
        ) : (
          <>
            <div class="table-wrap">{children(page.data, list.reload)}</div>
            <Pager pager={pager} nextCursor={page.next_cursor} label={label} />
          </>
        )
      }
    </Loading>
  );
}
