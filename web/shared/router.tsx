// A tiny client-side router over the history API: each app has a base path (/account,
// /console); links are real <a href> (so they open in a new tab, and keyboard users get them
// for free) whose plain clicks are handled here without a page load.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";

let base = "";
const listeners = new Set<() => void>();

/** Sets the app's base path, once, before the first render. */
export function setBase(path: string): void {
  base = path.replace(/\/$/, "");
}

/** The path inside the app: "/keys" for /account/keys; "/" for the app's root. */
export function currentPath(): string {
  const path = location.pathname.startsWith(base)
    ? location.pathname.slice(base.length)
    : location.pathname;
  return path === "" ? "/" : path;
}

export const href = (path: string): string => `${base}${path === "/" ? "/" : path}`;

/** Goes to a path inside the app (pushes a history entry unless `replace`). */
export function navigate(path: string, { replace = false } = {}): void {
  const url = href(path);
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  for (const listener of listeners) listener();
  window.scrollTo(0, 0);
}

addEventListener("popstate", () => {
  for (const listener of listeners) listener();
});

/** The current in-app path and query; re-renders on navigation. */
export function useRoute(): { path: string; query: URLSearchParams } {
  const [, setTick] = useState(0);
  useEffect(() => {
    const listener = () => setTick((n) => n + 1);
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }, []);
  return { path: currentPath(), query: new URLSearchParams(location.search) };
}

/** Matches "/users/:id" against a path; the parameters, or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split("/");
  const have = path.split("/");
  if (want.length !== have.length) return null;
  const params: Record<string, string> = {};
  for (const [i, part] of want.entries()) {
    const value = have[i] ?? "";
    if (part.startsWith(":")) {
      if (!value) return null;
      params[part.slice(1)] = decodeURIComponent(value);
    } else if (part !== value) return null;
  }
  return params;
}

interface LinkProps {
  to: string;
  children: ComponentChildren;
  class?: string;
  "aria-label"?: string;
}

/** An in-app link: a real anchor; a plain left click navigates without reloading. */
export function Link({ to, children, ...rest }: LinkProps) {
  const target = href(to);
  const active = currentPath() === to;
  return (
    <a
      {...rest}
      href={target}
      aria-current={active ? "page" : undefined}
      onClick={(event) => {
        if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey)
          return;
        event.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}
