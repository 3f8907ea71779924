// Plain-text emails. Each template takes the values it needs and returns subject and body.
export const templates = {
  verify_email: (v: { link: string }) => ({
    subject: "Confirm your email address",
    text: `Welcome to tollgate.\n\nConfirm your email address by opening this link:\n${v.link}\n\nThe link is valid for 24 hours. If you did not sign up, ignore this email.\n`,
  }),
  password_reset: (v: { link: string }) => ({
    subject: "Reset your password",
    text: `Someone asked to reset the password of your tollgate account.\n\nOpen this link to choose a new password:\n${v.link}\n\nThe link is valid for 1 hour and works once. If it was not you, ignore this email: your password stays as it is.\n`,
  }),
  trial_ending: (v: { plan: string; trialEnd: string }) => ({
    subject: "Your trial ends in 3 days",
    text: `Your ${v.plan} trial ends on ${v.trialEnd}. Your subscription then continues and your payment method is charged; cancel before then if you do not want it.\n`,
  }),
  payment_failed: (v: { plan: string; amount: string }) => ({
    subject: "Your payment failed",
    text: `We could not charge ${v.amount} for your ${v.plan} subscription. Please update your payment method: access is limited if the balance stays unpaid.\n`,
  }),
  access_restricted: (v: { plan: string }) => ({
    subject: "Your access is now limited",
    text: `Your ${v.plan} subscription is still unpaid, so your account now has the free plan's limits. Pay the open balance to restore them.\n`,
  }),
  access_suspended: (v: { plan: string }) => ({
    subject: "Your access is suspended",
    text: `Your ${v.plan} subscription has been unpaid for too long, so API access is suspended. You can still log in and pay the open balance to restore it.\n`,
  }),
  // A user's notification on the email channel: its own title and body, with a rendered footer.
  notification: (v: { title: string; body: string; footer: string }) => ({
    subject: v.title,
    text: `${v.body}\n\n${v.footer}\n`,
  }),
} as const;

export type TemplateName = keyof typeof templates;
export type TemplateVars<T extends TemplateName> = Parameters<(typeof templates)[T]>[0];
