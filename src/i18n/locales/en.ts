import type { Messages } from "../messages";

// English: the reference catalog. Every key here exists in every other catalog (a test checks).
// Plain nested objects, one namespace per domain (problems, resources, email, notifications, …),
// so each branch adds its own block. `{{name}}` is a parameter; `_one`/`_other` are plural forms.
export const en = {
  problems: {
    invalid_request: { title: "The request is invalid" },
    malformed_json: { title: "The request body is not valid JSON" },
    invalid_or_expired_token: { title: "The token is invalid, expired or already used" },
    coupon_not_applicable: { title: "The coupon cannot be applied" },
    invalid_signature: { title: "The webhook signature is invalid" },
    unauthorized: { title: "Authentication is required" },
    invalid_token: { title: "The access token is invalid or expired" },
    invalid_credentials: { title: "The email or password is incorrect" },
    invalid_refresh_token: { title: "The refresh token is invalid, expired or revoked" },
    payment_required: { title: "Payment is required" },
    forbidden: { title: "You are not allowed to do this" },
    account_disabled: { title: "This account is disabled" },
    feature_not_in_plan: { title: "Your plan does not include this feature" },
    incorrect_password: { title: "The password is incorrect" },
    not_found: { title: "Not found" },
    method_not_allowed: { title: "Method not allowed" },
    email_taken: { title: "This email is already registered" },
    conflict: { title: "The request conflicts with the current state" },
    plan_not_available: { title: "This plan cannot be subscribed to" },
    payload_too_large: { title: "The request body is too large" },
    unsupported_media_type: { title: "Unsupported media type" },
    rate_limited: { title: "Too many requests" },
    misconfigured: { title: "The server is misconfigured" },
    internal_error: { title: "Internal server error" },
    provider_error: { title: "The payment provider failed" },
    provider_unavailable: { title: "This payment provider is not configured" },
  },
  // SMS, push and the system's own notifications (src/notifications/system.ts).
  channels: {
    windows: { day: "daily", month: "monthly" },
    payment_failed: {
      title: "Your payment failed",
      body: "We could not charge {{amount}} for your {{plan}} subscription. Update your payment method to keep your access.",
    },
    payment_recovered: {
      title: "Payment received",
      body: "Your {{plan}} subscription is paid up again. Thank you!",
    },
    renewed: {
      title: "Subscription renewed",
      body: "Your {{plan}} subscription has renewed. The next renewal is on {{date}}.",
      body_undated: "Your {{plan}} subscription has renewed.",
    },
    trial_ending: {
      title: "Your trial ends in 3 days",
      body: "Your {{plan}} trial ends on {{date}}. Your subscription then continues and your payment method is charged; cancel before then if you do not want it.",
    },
    subscription_ending: {
      title: "Your subscription ends in 3 days",
      body: "Your {{plan}} subscription ends on {{date}}, as you asked. Resume it before then to keep it.",
    },
    canceled: {
      title: "Subscription canceled",
      body: "Your {{plan}} subscription has ended. Your account is on the free plan.",
    },
    plan_changed: {
      title: "Plan changed",
      body: "Your plan changed from {{from}} to {{to}}.",
    },
    access_restricted: {
      title: "Your access is now limited",
      body: "Your {{plan}} subscription is still unpaid, so your account now has the free plan's limits. Pay the open balance to restore them.",
    },
    access_suspended: {
      title: "Your access is suspended",
      body: "Your {{plan}} subscription has been unpaid for too long, so API access is suspended. You can still log in and pay the open balance to restore it.",
    },
    usage_80: {
      title: "You have used 80% of your {{window}} quota",
      body: "You have used {{used}} of your {{limit}} {{window}} requests. The quota resets on {{date}}.",
    },
    usage_100: {
      title: "You have reached your {{window}} quota",
      body: "You have used all {{limit}} of your {{window}} requests; more are refused until {{date}}.",
    },
  },
} satisfies Messages;
