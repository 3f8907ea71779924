import { describe, expect, it } from "vitest";
import { CATALOGS, LOCALES, type Messages, negotiate, t } from "../src/i18n";

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

describe("catalogs", () => {
  const english = keysOf(CATALOGS.en);

  it.each(LOCALES.filter((l) => l !== "en"))("%s has every English key and no other", (locale) => {
    const other = keysOf(CATALOGS[locale]);
    expect([...english].filter((key) => !other.has(key))).toStrictEqual([]);
    expect([...other].filter((key) => !english.has(key))).toStrictEqual([]);
  });

  it.each(LOCALES.filter((l) => l !== "en"))("%s messages use English's parameters", (locale) => {
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
  it("renders a message in the given language", () => {
    expect(t("en", "problems.not_found.title")).toBe("Not found");
    expect(t("es", "problems.not_found.title")).toBe("No encontrado");
  });

  it("answers the key itself for a message that exists nowhere", () => {
    expect(t("es", "no.such.key")).toBe("no.such.key");
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
