import { type Locale, type Params, t } from "../i18n";

// Plain-text emails in the recipient's language. Each template takes the values it needs and
// returns subject and body from the catalogs' `email.<template>.*` messages.

export interface RenderedEmail {
  subject: string;
  text: string;
}

function mail(locale: Locale, name: string, params: Params, body = "text"): RenderedEmail {
  return {
    subject: t(locale, `email.${name}.subject`, params),
    text: t(locale, `email.${name}.${body}`, params),
  };
}

/** The plan's name, or "paid" in the recipient's language when the plan is not known. */
const planName = (locale: Locale, plan: string | null) =>
  plan ?? t(locale, "email.common.paid_plan");

/** A day as people read it in their language ("20 November 2026", "20 de noviembre de 2026"). */
const day = (locale: Locale, at: number) =>
  new Intl.DateTimeFormat(locale, { dateStyle: "long", timeZone: "UTC" }).format(at);

export const templates = {
  verify_email: (locale: Locale, v: { link: string }) => mail(locale, "verify_email", v),
  password_reset: (locale: Locale, v: { link: string }) => mail(locale, "password_reset", v),
  /** `trialEnd`: epoch ms, or null when the provider did not say. */
  trial_ending: (locale: Locale, v: { plan: string | null; trialEnd: number | null }) =>
    v.trialEnd === null
      ? mail(locale, "trial_ending", { plan: planName(locale, v.plan) }, "text_undated")
      : mail(locale, "trial_ending", {
          plan: planName(locale, v.plan),
          date: day(locale, v.trialEnd),
        }),
  payment_failed: (locale: Locale, v: { plan: string | null; amount: string }) =>
    mail(locale, "payment_failed", { plan: planName(locale, v.plan), amount: v.amount }),
  access_restricted: (locale: Locale, v: { plan: string | null }) =>
    mail(locale, "access_restricted", { plan: planName(locale, v.plan) }),
  access_suspended: (locale: Locale, v: { plan: string | null }) =>
    mail(locale, "access_suspended", { plan: planName(locale, v.plan) }),
  /** A user's notification on the email channel: its own title and body, a footer in their language. */
  notification: (locale: Locale, v: { title: string; body: string }) => ({
    subject: v.title,
    text: `${v.body}\n\n${t(locale, "notifications.email.footer")}\n`,
  }),
} as const;

export type TemplateName = keyof typeof templates;
export type TemplateVars<T extends TemplateName> = Parameters<(typeof templates)[T]>[1];

/** One template in one language. */
export function renderEmail<T extends TemplateName>(
  template: T,
  locale: Locale,
  vars: TemplateVars<T>,
): RenderedEmail {
  const fill = templates[template] as (locale: Locale, vars: TemplateVars<T>) => RenderedEmail;
  return fill(locale, vars);
}
