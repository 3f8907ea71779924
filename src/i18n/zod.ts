import type { z } from "zod";
import * as zodLocales from "zod/locales";
import { DEFAULT_LOCALE, hasMessage, type Locale, type Params, t } from "./index";

type ErrorMap = (issue: z.core.$ZodRawIssue) => unknown;

// zod's own messages, per language. z.config(z.locales.es()) would switch them for every request
// of the isolate at once, so instead each issue is rendered again, in the request's locale, by
// zod's error map for that language (zod ships one per language code; English when it has none).
const maps = new Map<Locale, ErrorMap>();

function zodMessages(locale: Locale): ErrorMap {
  let map = maps.get(locale);
  if (!map) {
    const byCode = zodLocales as unknown as Partial<
      Record<string, () => { localeError: ErrorMap }>
    >;
    const make = byCode[locale];
    map = (make ?? zodLocales.en)().localeError;
    maps.set(locale, map);
  }
  return map;
}

function text(rendered: unknown): string | undefined {
  if (typeof rendered === "string") return rendered;
  if (rendered && typeof rendered === "object" && "message" in rendered) {
    return typeof rendered.message === "string" ? rendered.message : undefined;
  }
  return undefined;
}

/** The value at an issue's path in the validated input (what zod saw, for "received …"). */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const segment of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

/**
 * An issue's message in `locale`. zod's default messages (the ones its English map makes) are
 * made again by the locale's map; a schema's own message that is a catalog key (`validation.*`,
 * with a refinement's `params`) is looked up; any other message stays as the schema wrote it.
 */
export function issueMessage(locale: Locale, issue: z.core.$ZodIssue, input: unknown): string {
  if (hasMessage(issue.message)) {
    // A refinement's own message is a catalog key; its `params` fill the message.
    const params = issue.code === "custom" ? (issue.params as Params | undefined) : undefined;
    return t(locale, issue.message, params);
  }
  if (locale === DEFAULT_LOCALE) return issue.message;
  const raw = { ...issue, input: valueAt(input, issue.path) } as z.core.$ZodRawIssue;
  if (text(zodMessages(DEFAULT_LOCALE)(raw)) !== issue.message) return issue.message;
  return text(zodMessages(locale)(raw)) ?? issue.message;
}
