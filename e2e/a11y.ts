// A small accessibility check, run in the page: every form control has a label, every button
// and link an accessible name, every image a text alternative, ids are unique, the page has a
// main landmark and one h1, and text contrasts with its background by at least 4.5:1 (3:1 for
// large text). Not a full audit (axe does more), but what the apps promise.
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

    // Contrast (WCAG 2 relative luminance) of each element's own text against the first opaque
    // background behind it. Disabled controls are exempt, as WCAG says.
    const rgb = (color: string) => {
      const [r = 0, g = 0, b = 0, a = 1] = (color.match(/[\d.]+/g) ?? []).map(Number);
      return { r, g, b, a };
    };
    const luminance = ({ r, g, b }: { r: number; g: number; b: number }) => {
      const [R = 0, G = 0, B = 0] = [r, g, b].map((v) => {
        const c = v / 255;
        return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * R + 0.7152 * G + 0.0722 * B;
    };
    const background = (el: Element | null): { r: number; g: number; b: number } => {
      for (let node = el; node; node = node.parentElement) {
        const color = rgb(getComputedStyle(node).backgroundColor);
        if (color.a >= 1) return color;
      }
      return { r: 255, g: 255, b: 255 };
    };
    for (const el of document.querySelectorAll("body *")) {
      const ownText = [...el.childNodes].some(
        (n) => n.nodeType === Node.TEXT_NODE && n.textContent?.trim(),
      );
      if (!ownText || !visible(el) || el.closest(".visually-hidden, :disabled")) continue;
      const style = getComputedStyle(el);
      const fg = luminance(rgb(style.color));
      const bg = luminance(background(el));
      const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
      const size = Number.parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5)) {
        problems.push(`contrast ${ratio.toFixed(2)}:1 is too low: ${describe(el)}`);
      }
    }
    return problems;
  });
}
