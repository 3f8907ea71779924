// PayPal's webhook signature, which only PayPal can check: the delivery is sent back to it.
import { ApiError } from "../../lib/errors";
import { payPalClient } from "../../payments/paypal-client";
import type { VerifiedEvent, WebhookVerifier } from "../types";
import { isRecord } from "./common";

/** The request headers PayPal signs a delivery with, by the field verify-webhook-signature takes. */
const SIGNATURE_HEADERS = {
  auth_algo: "paypal-auth-algo",
  cert_url: "paypal-cert-url",
  transmission_id: "paypal-transmission-id",
  transmission_sig: "paypal-transmission-sig",
  transmission_time: "paypal-transmission-time",
} as const;

const invalid = (detail: string) => new ApiError("invalid_signature", detail);

/**
 * Asks PayPal whether the delivery is genuine (POST /v1/notifications/verify-webhook-signature).
 * The raw body goes back to PayPal byte for byte as `webhook_event`, so re-serialising can never
 * change what was signed. Anything but SUCCESS is an invalid signature.
 */
export const paypalVerifier: WebhookVerifier = {
  async verify(request, rawBody, config): Promise<VerifiedEvent> {
    const signature: Record<string, string> = {};
    for (const [field, header] of Object.entries(SIGNATURE_HEADERS)) {
      const value = request.headers.get(header);
      if (!value) throw invalid(`The ${header} header is missing`);
      signature[field] = value;
    }
    let event: unknown;
    try {
      event = JSON.parse(rawBody);
    } catch {
      throw invalid("The body is not JSON");
    }
    if (
      !isRecord(event) ||
      typeof event.id !== "string" ||
      !event.id ||
      typeof event.event_type !== "string" ||
      typeof event.create_time !== "string" ||
      Number.isNaN(Date.parse(event.create_time))
    ) {
      throw invalid("The body is not a PayPal event");
    }
    const client = payPalClient(config);
    if (!client || !config.PAYPAL_WEBHOOK_ID) {
      throw new ApiError("provider_unavailable", "PayPal webhooks are not configured");
    }
    const fields = JSON.stringify({ ...signature, webhook_id: config.PAYPAL_WEBHOOK_ID });
    // rawBody parsed as JSON above, so splicing it in keeps the request valid JSON.
    const body = `${fields.slice(0, -1)},"webhook_event":${rawBody}}`;
    let status: unknown;
    try {
      const response = await client.request(
        "POST",
        "/v1/notifications/verify-webhook-signature",
        { rawBody: body },
        "verify webhook signature",
      );
      status =
        response.status === 200 && isRecord(response.body)
          ? response.body.verification_status
          : undefined;
    } catch {
      throw invalid("PayPal could not verify the signature");
    }
    if (status !== "SUCCESS") throw invalid("PayPal did not confirm the signature");
    return {
      providerEventId: event.id,
      type: event.event_type,
      occurredAt: Date.parse(event.create_time),
    };
  },
};
