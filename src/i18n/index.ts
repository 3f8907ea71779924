import { createInstance, type i18n } from "i18next";
import { en } from "./locales/en";
import { es } from "./locales/es";
import type { Messages } from "./messages";

export type { Messages } from "./messages";

// Every language the API answers in, with its catalog. Adding one: a catalog file in ./locales
// with the same keys as en.ts, imported and listed here. English is the fallback for any gap.
export const CATALOGS = { en, es } as const satisfies Record<string, Messages>;
export type Locale = keyof typeof CATALOGS;
export const LOCALES = Object.keys(CATALOGS) as unknown as readonly [Locale, ...Locale[]];
export const DEFAULT_LOCALE: Locale = "en";

export type Params = Record<string, string | number>;

/**
 * A message rendered later, once the reader's locale is known (a problem's detail, a field
 * error): a catalog key, its parameters (which may be messages themselves), and the English text
 * to show when no catalog has the key.
 */
export interface Message {
  key: string;
  params?: Record<string, string | number | Message>;
  fallback?: string;
}

export const msg = (key: string, params?: Message["params"]): Message =>
  params ? { key, params } : { key };

// One instance for the isolate, made on the first message (not at startup, which most requests
// that answer 200 never need it for). The catalogs are bundled, so it initialises synchronously;
// every call names its language (no shared "current language" between concurrent requests).
let instance: i18n | null = null;

function messages(): i18n {
  if (instance) return instance;
  const made = createInstance();
  void made.init({
    resources: Object.fromEntries(
      LOCALES.map((locale) => [locale, { translation: CATALOGS[locale] }]),
    ),
    supportedLngs: [...LOCALES],
    fallbackLng: DEFAULT_LOCALE,
    initAsync: false,
    // Plain text and JSON, not HTML: values are inserted as given.
    interpolation: { escapeValue: false },
    nsSeparator: false,
    returnNull: false,
    returnEmptyString: false,
  });
  instance = made;
  return made;
}

export function isLocale(value: unknown): value is Locale {
  return typeof value === "string" && (LOCALES as readonly string[]).includes(value);
}

/**
 * A message in `locale`: `{{name}}` placeholders filled from `params`; a `count` param picks the
 * plural form (`key_one`, `key_other`, … by the language's rules). A key missing in `locale`
 * falls back to English; one missing everywhere comes back as the key itself (a test keeps the
 * catalogs complete).
 */
export function t(locale: Locale, key: string, params?: Params): string {
  return render(locale, params ? { key, params } : { key });
}

/** Text as it is, or a message rendered in `locale` (its message parameters first). */
export function render(locale: Locale, text: string | Message): string {
  if (typeof text === "string") return text;
  const params: Params = {};
  for (const [name, value] of Object.entries(text.params ?? {})) {
    params[name] = typeof value === "object" ? render(locale, value) : value;
  }
  const count = params.count;
  return messages().t(text.key, {
    lng: locale,
    replace: params,
    ...(typeof count === "number" ? { count } : {}),
    ...(text.fallback === undefined ? {} : { defaultValue: text.fallback }),
  });
}

/** Whether a message exists (in English, which holds every key). */
export function hasMessage(key: string): boolean {
  return messages().exists(key, { lng: DEFAULT_LOCALE });
}

/**
 * The locale to answer in: the client's Accept-Language (by q-value; `es-MX` → `es`; `q=0` means
 * "not this one"), else the user's stored locale, else English.
 */
export function negotiate(acceptLanguage: string | undefined, userLocale?: string | null): Locale {
  return preferredLocale(acceptLanguage) ?? (isLocale(userLocale) ? userLocale : DEFAULT_LOCALE);
}

/** The locale an Accept-Language header asks for, or null when it names none we have. */
export function preferredLocale(acceptLanguage: string | undefined): Locale | null {
  for (const tag of acceptedTags(acceptLanguage)) {
    const locale = matchTag(tag);
    if (locale) return locale;
  }
  return null;
}

/** The language tags of an Accept-Language header, most wanted first (stable for equal q). */
function acceptedTags(header: string | undefined): string[] {
  if (!header) return [];
  const ranked: { tag: string; q: number; index: number }[] = [];
  header.split(",").forEach((part, index) => {
    const [rawTag, ...attributes] = part.split(";");
    const tag = rawTag?.trim().toLowerCase();
    if (!tag || tag === "*") return;
    let q = 1;
    for (const attribute of attributes) {
      const [name, value] = attribute.split("=").map((s) => s.trim());
      if (name?.toLowerCase() === "q")
        q = value !== undefined && /^[01](\.\d{0,3})?$/.test(value) ? Number(value) : 0;
    }
    if (q > 0) ranked.push({ tag, q, index });
  });
  return ranked.sort((a, b) => b.q - a.q || a.index - b.index).map((entry) => entry.tag);
}

/** `es-MX` → `es`: the longest prefix of the tag that is a locale we have. */
function matchTag(tag: string): Locale | undefined {
  const subtags = tag.split("-");
  for (let length = subtags.length; length > 0; length--) {
    const candidate = subtags.slice(0, length).join("-");
    if (isLocale(candidate)) return candidate;
  }
  return undefined;
}
