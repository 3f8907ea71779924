import type { Messages } from "../messages";

// English: the reference catalog. Every key here exists in every other catalog (a test checks).
// Plain nested objects, one namespace per domain (problems, resources, validation, email,
// notifications, …), so each branch adds its own block. `{{name}}` is a parameter; a `count`
// parameter picks `_one`/`_other` plural forms. Problem titles in English are the catalogue in
// src/lib/errors.ts; other languages translate them here as `problems.<code>.title`.
export const en = {
  problems: {
    invalid_request: {
      json: "The request body is invalid",
      query: "The query parameters are invalid",
      param: "The path parameters are invalid",
      header: "The request headers are invalid",
      cookie: "The cookies are invalid",
      form: "The form data is invalid",
      body_required: "This request needs a JSON body",
      cursor: "The cursor is not one this API gave out",
      expires_in_past: "expires_at must be in the future",
      refund_too_large: "At most {{refundable}} can still be refunded",
      coupon: "The coupon is invalid",
      range_order: "from must not be after to",
      range_span_one: "The range may span at most {{count}} day",
      range_span_other: "The range may span at most {{count}} days",
    },
    malformed_json: { unparsable: "The body could not be parsed as JSON" },
    unsupported_media_type: {
      send_json: "Send the body as JSON with 'Content-Type: application/json'",
    },
    unauthorized: {
      send_credential: "Send an access token or API key as 'Authorization: Bearer <token>'",
    },
    invalid_token: {
      access_token: "The access token is invalid or expired",
      api_key: "The API key is invalid or revoked",
      session_ended: "The session has ended",
      account_gone: "The account no longer exists",
    },
    payment_required: {
      suspended: "Your account is suspended for non-payment: settle the balance to continue",
    },
    forbidden: {
      admins_only: "Admins only",
      api_key_cap_one: "Your plan allows {{count}} API key; delete it or upgrade",
      api_key_cap_other: "Your plan allows {{count}} API keys; delete one or upgrade",
      own_role: "Admins cannot change their own role or status",
      deleted_account: "Deleted accounts cannot be changed",
    },
    not_found: {
      resource: "{{what}} not found",
      no_route: "No route for {{method}} {{path}}",
      no_paid_subscription: "You have no paid subscription",
    },
    method_not_allowed: { method: "{{method}} is not allowed here" },
    conflict: {
      has_subscription: "You already have a subscription: change or cancel it instead",
      current_plan: "That is your current plan",
      no_pending_cancellation: "No cancellation is pending",
      managed_by_admin: "This subscription is managed by an administrator",
      no_stripe_customer: "You have no Stripe billing account yet",
      no_stripe_subscription: "This subscription has no Stripe subscription yet",
      no_paypal_subscription: "This subscription has no PayPal subscription yet",
      plan_code_taken: "A plan with the code {{code}} already exists",
      coupon_code_taken: "A coupon with the code {{code}} already exists",
      free_plan_fixed: "The free plan cannot be deleted or archived",
      free_plan_archive: "The free plan cannot be archived: it is what everyone falls back to",
      provider_id_taken: "A provider id is already used by another plan",
      coupon_in_use:
        "The coupon has been redeemed: its discount can no longer change (create a new coupon)",
      coupon_redeemed_one: "The coupon has already been redeemed {{count}} time",
      coupon_redeemed_other: "The coupon has already been redeemed {{count}} times",
      coupon_redeemed_meanwhile: "The coupon was redeemed meanwhile: its discount cannot change",
      manual_refund: "Manual payments are refunded outside tollgate",
      failed_payment_refund: "A failed payment has nothing to refund",
      fully_refunded: "This payment is already fully refunded",
    },
    plan_not_available: {
      no_longer_offered: "{{plan}} is no longer offered",
      archived: "{{plan}} is archived",
    },
    coupon_not_applicable: {
      not_found: "There is no coupon {{code}}",
      inactive: "The coupon {{code}} is no longer offered",
      expired: "The coupon {{code}} expired on {{date}}",
      max_redemptions: "The coupon {{code}} has been used up",
      plan_not_eligible: "The coupon {{code}} does not apply to {{plan}}",
      currency_mismatch:
        "The coupon {{code}} is in {{coupon_currency}}; {{plan}} is billed in {{plan_currency}}",
      already_redeemed: "You have already used the coupon {{code}}",
      no_duration: "This coupon has no valid duration in months",
    },
    insufficient_funds: {
      short:
        "This call costs {{price}} {{currency}} (minor units); {{available}} {{currency}} is available",
    },
    payload_too_large: { max: "The body may be at most {{max}} bytes" },
    rate_limited: {
      retry_one: "Limit reached for {{windows}}; retry in {{count}} second",
      retry_other: "Limit reached for {{windows}}; retry in {{count}} seconds",
    },
    provider_unavailable: { not_configured: "Payments through {{provider}} are not configured" },
  },
  // What a 404 names, as "{{what}} not found" reads it: notFound("Webhook event") looks up
  // resources.webhook_event.
  resources: {
    api_key: "API key",
    coupon: "Coupon",
    event: "Event",
    job: "Job",
    notification: "Notification",
    payment: "Payment",
    plan: "Plan",
    reminder: "Reminder",
    user: "User",
    webhook_event: "Webhook event",
  },
  // Field messages (`errors[].message`); zod's own come from zod's locale.
  validation: {
    required: "is required",
    invalid_cursor: "invalid cursor",
    in_future: "must be in the future",
    at_most: "must be at most {{max}}",
    at_least_one_of: "send at least one of {{fields}}",
    time_zone: "must be an IANA time zone such as Europe/Paris",
    at_least: "must be at least {{min}}",
    at_least_one_field: "send at least one field",
    already_taken: "already taken",
    not_after: "must not be after {{field}}",
    days_before_one: "at most {{count}} day before {{field}}",
    days_before_other: "at most {{count}} days before {{field}}",
    same_id_as: "same id as {{field}}",
    used_by_plan: "already used by {{plan}}",
    no_plan: "no plan {{id}}",
    currency_code: "an ISO 4217 code",
    coupon_code: "3 to 40 of A-Z, 0-9, _ and -",
    one_discount: "send exactly one of percent_off and amount_off",
    percent: "must be 1 to 100",
    positive_minor_units: "must be a positive amount in minor units",
    currency_needed: "an amount_off coupon needs a currency",
    currency_unexpected: "only an amount_off coupon has a currency",
    repeating_months: "a repeating coupon needs 1 to 36 months",
    months_only_repeating: "only a repeating coupon has duration_months (this one is {{duration}})",
  },
  email: {
    common: { paid_plan: "paid" },
    verify_email: {
      subject: "Confirm your email address",
      text: "Welcome to tollgate.\n\nConfirm your email address by opening this link:\n{{link}}\n\nThe link is valid for 24 hours. If you did not sign up, ignore this email.\n",
    },
    password_reset: {
      subject: "Reset your password",
      text: "Someone asked to reset the password of your tollgate account.\n\nOpen this link to choose a new password:\n{{link}}\n\nThe link is valid for 1 hour and works once. If it was not you, ignore this email: your password stays as it is.\n",
    },
    trial_ending: {
      subject: "Your trial ends in 3 days",
      text: "Your {{plan}} trial ends on {{date}}. Your subscription then continues and your payment method is charged; cancel before then if you do not want it.\n",
      text_undated:
        "Your {{plan}} trial ends soon. Your subscription then continues and your payment method is charged; cancel before then if you do not want it.\n",
    },
    payment_failed: {
      subject: "Your payment failed",
      text: "We could not charge {{amount}} for your {{plan}} subscription. Please update your payment method: access is limited if the balance stays unpaid.\n",
    },
    access_restricted: {
      subject: "Your access is now limited",
      text: "Your {{plan}} subscription is still unpaid, so your account now has the free plan's limits. Pay the open balance to restore them.\n",
    },
    access_suspended: {
      subject: "Your access is suspended",
      text: "Your {{plan}} subscription has been unpaid for too long, so API access is suspended. You can still log in and pay the open balance to restore it.\n",
    },
  },
  notifications: {
    email: {
      footer:
        "You get this email because email notifications are on in your account settings, where you can turn them off.",
    },
    problems: {
      stream_needs_access_token: "The stream takes an access token, not an API key",
      send_upgrade: "Open the stream as a WebSocket (Upgrade: websocket)",
      no_such_plan: "No such plan",
    },
    validation: {
      always_on: "cannot be turned off: account and billing notices always reach you",
      user_id: "must be a user id (usr_…)",
      one_audience: "send user_ids or plan, not both (neither: every active user)",
      unknown_plan: "no plan has this id or code",
    },
  },
  // SMS, push and the system's own notifications (src/notifications/system.ts).
  channels: {
    windows: { day: "daily", month: "monthly" },
    payment_failed: {
      heading: "Your payment failed",
      body: "We could not charge {{amount}} for your {{plan}} subscription. Update your payment method to keep your access.",
    },
    payment_recovered: {
      heading: "Payment received",
      body: "Your {{plan}} subscription is paid up again. Thank you!",
    },
    renewed: {
      heading: "Subscription renewed",
      body: "Your {{plan}} subscription has renewed. The next renewal is on {{date}}.",
      body_undated: "Your {{plan}} subscription has renewed.",
    },
    trial_ending: {
      heading: "Your trial ends in 3 days",
      body: "Your {{plan}} trial ends on {{date}}. Your subscription then continues and your payment method is charged; cancel before then if you do not want it.",
    },
    subscription_ending: {
      heading: "Your subscription ends in 3 days",
      body: "Your {{plan}} subscription ends on {{date}}, as you asked. Resume it before then to keep it.",
    },
    canceled: {
      heading: "Subscription canceled",
      body: "Your {{plan}} subscription has ended. Your account is on the free plan.",
    },
    plan_changed: {
      heading: "Plan changed",
      body: "Your plan changed from {{from}} to {{to}}.",
    },
    access_restricted: {
      heading: "Your access is now limited",
      body: "Your {{plan}} subscription is still unpaid, so your account now has the free plan's limits. Pay the open balance to restore them.",
    },
    access_suspended: {
      heading: "Your access is suspended",
      body: "Your {{plan}} subscription has been unpaid for too long, so API access is suspended. You can still log in and pay the open balance to restore it.",
    },
    usage_80: {
      heading: "You have used 80% of your {{window}} quota",
      body: "You have used {{used}} of your {{limit}} {{window}} requests. The quota resets on {{date}}.",
    },
    usage_100: {
      heading: "You have reached your {{window}} quota",
      body: "You have used all {{limit}} of your {{window}} requests; more are refused until {{date}}.",
    },
    wallet_low: {
      heading: "Your wallet balance is low",
      body: "Your wallet has {{available}} available, below the {{threshold}} you chose. Top up to keep paid calls running.",
    },
  },
  events: {
    problems: {
      reminder_sent: "The reminder was already sent",
      reminder_not_pending: "The reminder is no longer pending",
    },
    validation: {
      date_time_needed: "a date-time with an offset (a date alone is for all_day events)",
      after: "must be after {{field}}",
      after_all_day: "must be after {{field}} (for all-day events, the day after the last one)",
      not_before: "must not be before {{field}}",
      not_with: "cannot be set with {{field}}",
      each_once: "each value at most once",
    },
    reminder: {
      subject: "Reminder: {{title}}",
      body: "Set for {{when}}.",
    },
    upcoming: {
      subject: "Reminder: {{title}}",
      body: "{{title}} starts {{when}}.",
      body_all_day: "{{title}} is on {{when}}.",
    },
    start: {
      subject: "Now: {{title}}",
      body: "{{title}} starts now ({{when}}).",
    },
  },
} satisfies Messages;
