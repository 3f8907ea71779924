// The frame both apps share: a skip link, the top bar with the signed-in user and sign-out, a
// side navigation and the main region. Mounting an app: render(<App/>) into #app.
import { type ComponentChildren, render, type VNode } from "preact";
import { signOut } from "./api";
import { Link, setBase } from "./router";
import type { SessionUser } from "./types";

export interface NavItem {
  to: string;
  label: string;
}

export function Shell({
  title,
  user,
  nav,
  children,
}: {
  title: string;
  user: SessionUser;
  nav: readonly NavItem[];
  children: ComponentChildren;
}) {
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <Link to="/" class="brand">
          {title}
        </Link>
        <div class="actions">
          <span class="muted">{user.email}</span>
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <div class="layout">
        <nav class="sidenav" aria-label="Main">
          <ul>
            {nav.map((item) => (
              <li key={item.to}>
                <Link to={item.to}>{item.label}</Link>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" tabIndex={-1}>
          {children}
        </main>
      </div>
    </>
  );
}

/** A page for the signed-out: a heading and a form, centred. */
export function Narrow({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <main id="main" class="narrow">
      <h1>{title}</h1>
      {children}
    </main>
  );
}

/** Starts an app under its base path in the page's #app element. */
export function mount(base: string, app: VNode): void {
  setBase(base);
  const root = document.getElementById("app");
  if (!root) throw new Error("no #app element");
  root.textContent = "";
  render(app, root);
}
