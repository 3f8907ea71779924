// A coupon's terms — the fields that set its discount — and the rules between them. Pure: the
// admin service checks what it is sent with these before it writes anything.
import type { Coupon } from "../db/schema";
import { msg } from "../i18n";
import type { FieldError } from "../lib/errors";

/** The terms as the API names them; every field optional, so a patch can name a few. */
export interface CouponTermsInput {
  percent_off?: number | null | undefined;
  amount_off?: number | null | undefined;
  currency?: string | null | undefined;
  duration?: Coupon["duration"] | undefined;
  duration_months?: number | null | undefined;
}

/** The terms as they are stored. */
export type Terms = Pick<
  Coupon,
  "percentOff" | "amountOff" | "currency" | "duration" | "durationMonths"
>;

/** The API fields that are terms: naming one in a patch touches the discount. */
export const TERM_FIELDS = [
  "percent_off",
  "amount_off",
  "currency",
  "duration",
  "duration_months",
] as const;

export function termsOf(coupon: Coupon): Terms {
  return {
    percentOff: coupon.percentOff,
    amountOff: coupon.amountOff,
    currency: coupon.currency,
    duration: coupon.duration,
    durationMonths: coupon.durationMonths,
  };
}

/** The rules between fields: exactly one kind of discount; months only for `repeating`. */
export function termsErrors(terms: Terms): FieldError[] {
  const errors: FieldError[] = [];
  const percent = terms.percentOff !== null;
  const amount = terms.amountOff !== null;
  if (percent === amount) {
    errors.push({ path: "percent_off", message: msg("validation.one_discount") });
  }
  if (percent && (terms.percentOff ?? 0) < 1) {
    errors.push({ path: "percent_off", message: msg("validation.percent") });
  }
  if (percent && (terms.percentOff ?? 0) > 100) {
    errors.push({ path: "percent_off", message: msg("validation.percent") });
  }
  if (amount && (terms.amountOff ?? 0) <= 0) {
    errors.push({ path: "amount_off", message: msg("validation.positive_minor_units") });
  }
  if (amount && !terms.currency) {
    errors.push({ path: "currency", message: msg("validation.currency_needed") });
  }
  if (!amount && terms.currency) {
    errors.push({ path: "currency", message: msg("validation.currency_unexpected") });
  }
  if (terms.duration === "repeating") {
    const months = terms.durationMonths;
    if (months === null || months < 1 || months > 36) {
      errors.push({ path: "duration_months", message: msg("validation.repeating_months") });
    }
  } else if (terms.durationMonths !== null) {
    errors.push({
      path: "duration_months",
      message: msg("validation.months_only_repeating", { duration: terms.duration }),
    });
  }
  return errors;
}

/** The discount after a patch: a new kind of discount replaces the old one whole. */
export function patchedTerms(before: Coupon, patch: CouponTermsInput): Terms {
  const terms = termsOf(before);
  if (patch.percent_off !== undefined) {
    terms.percentOff = patch.percent_off;
    if (patch.percent_off !== null && patch.amount_off === undefined) {
      terms.amountOff = null;
      if (patch.currency === undefined) terms.currency = null;
    }
  }
  if (patch.amount_off !== undefined) {
    terms.amountOff = patch.amount_off;
    if (patch.amount_off !== null && patch.percent_off === undefined) terms.percentOff = null;
  }
  if (patch.currency !== undefined) terms.currency = patch.currency?.toLowerCase() ?? null;
  if (patch.duration !== undefined) {
    terms.duration = patch.duration;
    if (patch.duration !== "repeating" && patch.duration_months === undefined) {
      terms.durationMonths = null;
    }
  }
  if (patch.duration_months !== undefined) terms.durationMonths = patch.duration_months;
  return terms;
}

export function sameTerms(a: Terms, b: Terms): boolean {
  return (
    a.percentOff === b.percentOff &&
    a.amountOff === b.amountOff &&
    a.currency === b.currency &&
    a.duration === b.duration &&
    a.durationMonths === b.durationMonths
  );
}
