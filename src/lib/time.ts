export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** Epoch milliseconds to the API's ISO 8601 form; null stays null. */
export function iso(ms: number): string;
export function iso(ms: number | null): string | null;
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** UTC midnight of the day holding `ms`. */
export const utcDay = (ms: number): number => Math.floor(ms / DAY) * DAY;

/** The UTC date of an instant, `YYYY-MM-DD`: days in history, reports and emails. */
export const isoDate = (ms: number): string => iso(ms).slice(0, 10);

/** The UTC month of an instant, `YYYY-MM`. */
export const isoMonth = (ms: number): string => iso(ms).slice(0, 7);
