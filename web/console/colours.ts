// Colour per plan, standing and status: a tone (text on a tint) for each, always shown with its
// words, so colour is never the only signal. Every tone's text passes WCAG AA (4.5:1) on its
// tint, and the tint is what the tag sits on (tested). Pure.
import type { Standing, UserStatus } from "./types";

export interface Tone {
  name: string;
  fg: string;
  bg: string;
}

export const TONES = {
  grey: { name: "grey", fg: "#374151", bg: "#f3f4f6" },
  blue: { name: "blue", fg: "#1e40af", bg: "#dbeafe" },
  violet: { name: "violet", fg: "#5b21b6", bg: "#ede9fe" },
  teal: { name: "teal", fg: "#115e59", bg: "#ccfbf1" },
  indigo: { name: "indigo", fg: "#3730a3", bg: "#e0e7ff" },
  pink: { name: "pink", fg: "#9d174d", bg: "#fce7f3" },
  green: { name: "green", fg: "#166534", bg: "#dcfce7" },
  amber: { name: "amber", fg: "#92400e", bg: "#fef3c7" },
  orange: { name: "orange", fg: "#9a3412", bg: "#ffedd5" },
  red: { name: "red", fg: "#991b1b", bg: "#fee2e2" },
} as const satisfies Record<string, Tone>;

/** The seeded plans keep their colours; any other plan gets one of these by its code. */
const KNOWN_PLANS: Record<string, Tone> = {
  free: TONES.grey,
  basic: TONES.blue,
  pro: TONES.violet,
  enterprise: TONES.teal,
};
const OTHER_PLANS: Tone[] = [TONES.indigo, TONES.pink, TONES.blue, TONES.violet, TONES.teal];

/** A plan's tone: fixed for the seeded plans, stable per code for the others. */
export function planTone(code: string): Tone {
  const known = KNOWN_PLANS[code];
  if (known) return known;
  let hash = 0;
  for (const ch of code) hash = (hash * 31 + (ch.codePointAt(0) ?? 0)) >>> 0;
  return OTHER_PLANS[hash % OTHER_PLANS.length] ?? TONES.grey;
}

/** Good is green; past due amber; restricted orange; suspended red. */
export const STANDING_TONES: Record<Standing, Tone> = {
  good: TONES.green,
  past_due: TONES.amber,
  restricted: TONES.orange,
  suspended: TONES.red,
};

export const STATUS_TONES: Record<UserStatus, Tone> = {
  active: TONES.green,
  disabled: TONES.amber,
  deleted: TONES.grey,
};

/** How a tone-named value reads: "past_due" → "Past due". */
export const humanize = (value: string): string =>
  value ? `${value[0]?.toUpperCase() ?? ""}${value.slice(1).replaceAll("_", " ")}` : value;

function channel(value: number): number {
  const c = value / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

/** WCAG relative luminance of "#rrggbb". */
export function luminance(hex: string): number {
  const n = Number.parseInt(hex.slice(1), 16);
  return (
    0.2126 * channel((n >> 16) & 255) + 0.7152 * channel((n >> 8) & 255) + 0.0722 * channel(n & 255)
  );
}

/** WCAG contrast ratio of two "#rrggbb" colours, 1 to 21. */
export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}
