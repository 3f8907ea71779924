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
  notifications: {
    email: {
      footer:
        "You get this email because email notifications are on in your account settings, where you can turn them off.",
    },
  },
  events: {
    reminder: {
      title: "Reminder: {{title}}",
      body: "Set for {{when}}.",
    },
    upcoming: {
      title: "Reminder: {{title}}",
      body: "{{title}} starts {{when}}.",
      body_all_day: "{{title}} is on {{when}}.",
    },
    start: {
      title: "Now: {{title}}",
      body: "{{title}} starts now ({{when}}).",
    },
  },
} satisfies Messages;
