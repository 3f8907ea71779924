import { describe, expect, it } from "vitest";
import { CATALOGS, LOCALES, type Message, type Messages, negotiate, render, t } from "../src/i18n";
import { ERROR_CODES, notFound } from "../src/lib/errors";

const notFoundDetail = (what: string) => notFound(what).detail as Message;

/** Every message's dotted key, plural suffixes folded into their base key. */
function keysOf(messages: Messages, prefix = ""): Set<string> {
  const keys = new Set<string>();
  for (const [name, value] of Object.entries(messages)) {
    const key = `${prefix}${name}`;
    if (typeof value === "string") keys.add(key.replace(/_(zero|one|two|few|many|other)$/, ""));
    else for (const nested of keysOf(value, `${key}.`)) keys.add(nested);
  }
  return keys;
}

/** The `{{name}}` parameters a message uses. */
function paramsOf(message: string): string[] {
  return [...message.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1] ?? "").sort();
}

function flat(messages: Messages, prefix = ""): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, value] of Object.entries(messages)) {
    if (typeof value === "string") out.set(`${prefix}${name}`, value);
    else for (const [k, v] of flat(value, `${prefix}${name}.`)) out.set(k, v);
  }
  return out;
}

const translations = LOCALES.filter((locale) => locale !== "en");

describe("catalogs", () => {
  // English problem titles are the catalogue in lib/errors.ts; other languages translate them.
  const titles = ERROR_CODES.map((code) => `problems.${code}.title`);
  const english = new Set([...keysOf(CATALOGS.en), ...titles]);

  it("English has no problem titles of its own: errors.ts holds them", () => {
    expect([...keysOf(CATALOGS.en)].filter((key) => key.endsWith(".title"))).toStrictEqual([]);
  });

  it.each(translations)("%s has every English key and problem title, and no other", (locale) => {
    const other = keysOf(CATALOGS[locale]);
    expect([...english].filter((key) => !other.has(key))).toStrictEqual([]);
    expect([...other].filter((key) => !english.has(key))).toStrictEqual([]);
  });

  it.each(translations)("%s messages use English's parameters", (locale) => {
    const englishMessages = flat(CATALOGS.en);
    const mismatched = [...flat(CATALOGS[locale])].filter(([key, message]) => {
      const base = key.replace(/_(zero|one|two|few|many|other)$/, "_other");
      const reference = englishMessages.get(key) ?? englishMessages.get(base);
      if (reference === undefined) return false;
      // A plural's singular may name the count in words instead of {{count}}.
      const strip = (names: string[]) => names.filter((n) => n !== "count");
      return strip(paramsOf(message)).join() !== strip(paramsOf(reference)).join();
    });
    expect(mismatched.map(([key]) => key)).toStrictEqual([]);
  });

  it("every plural has the forms its language needs", () => {
    for (const locale of LOCALES) {
      const messages = flat(CATALOGS[locale]);
      const forms = new Intl.PluralRules(locale).resolvedOptions().pluralCategories;
      const bases = [...messages.keys()]
        .filter((k) => k.endsWith("_other"))
        .map((k) => k.slice(0, -6));
      for (const base of bases) {
        for (const form of forms) {
          // Spanish "many" (a million and up) falls back to "other" in i18next.
          if (form === "many") continue;
          expect(messages.has(`${base}_${form}`), `${locale} ${base}_${form}`).toBe(true);
        }
      }
    }
  });
});

describe("t", () => {
  it("renders a message in the given language with its parameters", () => {
    expect(t("en", "problems.not_found.no_route", { method: "GET", path: "/x" })).toBe(
      "No route for GET /x",
    );
    expect(t("es", "problems.not_found.no_route", { method: "GET", path: "/x" })).toBe(
      "No hay ninguna ruta para GET /x",
    );
  });

  it("picks the plural form by the count, by each language's rules", () => {
    const retry = (locale: "en" | "es", count: number) =>
      t(locale, "problems.rate_limited.retry", { windows: "minute", count });
    expect(retry("en", 1)).toBe("Limit reached for minute; retry in 1 second");
    expect(retry("en", 30)).toBe("Limit reached for minute; retry in 30 seconds");
    expect(retry("es", 1)).toBe("Se alcanzó el límite de minute; vuelva a intentarlo en 1 segundo");
    expect(retry("es", 1_000_000)).toContain("1000000 segundos");
  });

  it("answers the key itself for a message that exists nowhere", () => {
    expect(t("es", "no.such.key")).toBe("no.such.key");
  });
});

describe("render", () => {
  it("renders message parameters in the same language, and a fallback for unknown keys", () => {
    expect(render("es", notFoundDetail("Plan"))).toBe("No se encontró el plan");
    expect(render("en", notFoundDetail("Plan"))).toBe("Plan not found");
    // A resource no catalog names yet: its English name, in the sentence of the language.
    expect(render("es", notFoundDetail("Gadget"))).toBe("No se encontró Gadget");
  });

  it("leaves plain text as it is", () => {
    expect(render("es", "as written")).toBe("as written");
  });
});

describe("negotiate", () => {
  it("takes the first language we have, by q-value", () => {
    expect(negotiate("es")).toBe("es");
    expect(negotiate("en-US,es;q=0.9")).toBe("en");
    expect(negotiate("fr-FR, es;q=0.8, en;q=0.5")).toBe("es");
    expect(negotiate("en;q=0.4, es;q=0.6")).toBe("es");
    expect(negotiate("de, fr;q=0.9, en;q=0.1")).toBe("en");
  });

  it("matches a regional tag to its language, case-insensitively", () => {
    expect(negotiate("es-MX")).toBe("es");
    expect(negotiate("ES-419,en;q=0.5")).toBe("es");
    expect(negotiate("zh-Hant-TW, es-AR;q=0.3")).toBe("es");
  });

  it("keeps the header's order for equal q-values", () => {
    expect(negotiate("es, en")).toBe("es");
    expect(negotiate("en;q=0.8, es;q=0.8")).toBe("en");
  });

  it("never picks a language the client refused with q=0", () => {
    expect(negotiate("es;q=0, en;q=0.1")).toBe("en");
    expect(negotiate("es;q=0", "en")).toBe("en");
    expect(negotiate("es;q=0.000")).toBe("en");
  });

  it("falls back to the user's locale, then English", () => {
    expect(negotiate(undefined, "es")).toBe("es");
    expect(negotiate("", "es")).toBe("es");
    expect(negotiate("fr, de;q=0.5", "es")).toBe("es");
    expect(negotiate("*", "es")).toBe("es");
    expect(negotiate("fr")).toBe("en");
    expect(negotiate(undefined, "xx")).toBe("en");
    expect(negotiate(undefined, null)).toBe("en");
    expect(negotiate(undefined)).toBe("en");
  });

  it("ignores malformed parts instead of failing", () => {
    expect(negotiate(",,;q=1, es;q=abc, en;q=2, es")).toBe("es");
    expect(negotiate(";;;", "es")).toBe("es");
  });
});
