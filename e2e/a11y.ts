// A small accessibility check, run in the page: every form control has a label, every button
// and link an accessible name, every image a text alternative, ids are unique, and the page
// has a main landmark and one h1. Not a full audit (axe does more), but what the apps promise.
import type { Page } from "playwright-core";

export async function accessibilityProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    const visible = (el: Element) => {
      const style = getComputedStyle(el);
      return style.display !== "none" && style.visibility !== "hidden";
    };
    const describe = (el: Element) =>
      `<${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}${
        el.getAttribute("name") ? ` name=${el.getAttribute("name")}` : ""
      }> ${el.outerHTML.slice(0, 80)}`;
    const labelledBy = (el: Element) =>
      (el.getAttribute("aria-labelledby") ?? "")
        .split(/\s+/)
        .filter(Boolean)
        .map((id) => document.getElementById(id)?.textContent?.trim() ?? "")
        .join(" ")
        .trim();
    const name = (el: Element) =>
      (
        el.getAttribute("aria-label") ??
        (labelledBy(el) ||
          (el as HTMLElement).textContent ||
          el.getAttribute("title") ||
          el.querySelector("img[alt]")?.getAttribute("alt") ||
          "")
      ).trim();

    for (const el of document.querySelectorAll("input, select, textarea")) {
      if ((el as HTMLInputElement).type === "hidden" || !visible(el)) continue;
      const labels = (el as HTMLInputElement).labels;
      const labelText = [...(labels ?? [])].map((l) => l.textContent?.trim()).join("");
      if (!labelText && !el.getAttribute("aria-label") && !labelledBy(el)) {
        problems.push(`form control without a label: ${describe(el)}`);
      }
    }
    for (const el of document.querySelectorAll("button, [role=button], a[href]")) {
      if (!visible(el)) continue;
      if (!name(el)) problems.push(`control without an accessible name: ${describe(el)}`);
    }
    for (const el of document.querySelectorAll("img")) {
      if (!el.hasAttribute("alt")) problems.push(`image without alt: ${describe(el)}`);
    }
    const ids = new Map<string, number>();
    for (const el of document.querySelectorAll("[id]")) ids.set(el.id, (ids.get(el.id) ?? 0) + 1);
    for (const [id, count] of ids) if (count > 1) problems.push(`id used ${count} times: ${id}`);
    if (document.querySelectorAll("main").length !== 1) problems.push("not exactly one <main>");
    if (document.querySelectorAll("h1").length !== 1) problems.push("not exactly one <h1>");
    if (!document.documentElement.lang) problems.push("<html> has no lang");
    return problems;
  });
}
