// What a coupon code is. Codes are what users type: compared case-insensitively, stored upper-case.

/** A stored code (after normalizeCode). */
export const COUPON_CODE = /^[A-Z0-9_-]{3,40}$/;

export function normalizeCode(code: string): string {
  return code.trim().toUpperCase();
}
