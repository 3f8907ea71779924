// PayPal Orders v2, for one-off payments (wallet top-ups): create an order for the buyer to
// approve, capture it once approved, refund a capture. Request ids make every call repeatable.
import type { Config } from "../env";
import { ApiError } from "../lib/errors";
import { type PayPalClient, payPalClient, providerError } from "./paypal-client";
import { fromPayPalValue, toPayPalValue } from "./paypal-money";
import type { PayPalLink, PayPalMoney } from "./paypal-subscriptions";

const seg = encodeURIComponent;

/** A capture as PayPal reports it (the order's capture answer, and PAYMENT.CAPTURE.* events). */
export interface PayPalCapture {
  id: string;
  status: string;
  amount: number;
  currency: string;
  customId: string | null;
  orderId: string | null;
}

interface CaptureResource {
  id?: string;
  status?: string;
  amount?: PayPalMoney;
  custom_id?: string;
  supplementary_data?: { related_ids?: { order_id?: string } };
}

/** A capture resource in tollgate's terms; null when it lacks an id or an amount. */
export function captureOf(
  resource: CaptureResource,
  orderId: string | null = null,
): PayPalCapture | null {
  if (!resource.id || !resource.amount?.value || !resource.amount.currency_code) return null;
  const currency = resource.amount.currency_code.toLowerCase();
  return {
    id: resource.id,
    status: resource.status ?? "",
    amount: fromPayPalValue(resource.amount.value, currency),
    currency,
    customId: resource.custom_id ?? null,
    orderId: resource.supplementary_data?.related_ids?.order_id ?? orderId,
  };
}

function client(config: Config): PayPalClient {
  const paypal = payPalClient(config);
  if (!paypal)
    throw new ApiError("provider_unavailable", "Payments through paypal are not configured");
  return paypal;
}

/** An order for the buyer to approve; `customId` comes back on its capture. */
export async function createOrder(
  config: Config,
  order: {
    customId: string;
    amount: number;
    currency: string;
    description: string;
    returnUrl: string;
    cancelUrl: string;
  },
): Promise<{ id: string; approvalUrl: string }> {
  const created = await client(config).call<{ id?: string; links?: PayPalLink[] }>(
    "POST",
    "/v2/checkout/orders",
    {
      body: {
        intent: "CAPTURE",
        purchase_units: [
          {
            reference_id: order.customId,
            custom_id: order.customId,
            description: order.description,
            amount: {
              currency_code: order.currency.toUpperCase(),
              value: toPayPalValue(order.amount, order.currency),
            },
          },
        ],
        application_context: {
          return_url: order.returnUrl,
          cancel_url: order.cancelUrl,
          shipping_preference: "NO_SHIPPING",
          user_action: "PAY_NOW",
        },
      },
      requestId: order.customId,
    },
    "create order",
  );
  const approvalUrl = created?.links?.find((l) => l.rel === "approve" || l.rel === "payer-action");
  if (!created?.id || !approvalUrl) {
    throw new ApiError("provider_error", "PayPal returned an order without an approval link");
  }
  return { id: created.id, approvalUrl: approvalUrl.href };
}

/**
 * Captures an approved order (repeatable: the request id is the order's). An order captured
 * already answers its capture from the order's details.
 */
export async function captureOrder(config: Config, orderId: string): Promise<PayPalCapture | null> {
  const paypal = client(config);
  type Order = { purchase_units?: { payments?: { captures?: CaptureResource[] } }[] };
  const path = `/v2/checkout/orders/${seg(orderId)}`;
  const response = await paypal.request("POST", `${path}/capture`, {
    body: {},
    requestId: `capture-${orderId}`,
  });
  let order = response.body as Order | null;
  if (response.status === 422) {
    order = await paypal.call<Order>("GET", path, {}, "show order");
  } else if (response.status < 200 || response.status >= 300) {
    throw providerError("capture order", response);
  }
  const capture = order?.purchase_units?.[0]?.payments?.captures?.[0];
  return capture ? captureOf(capture, orderId) : null;
}

/**
 * Refunds part or all of a capture, at most once per `key` (PayPal-Request-Id); answers PayPal's
 * refund id. A 4xx is PayPal's refusal (provider_error); no answer, a 5xx or a 429 is
 * provider_outcome_unknown: the refund may have been made, and a retry with the key finds out.
 */
export async function refundCapture(
  config: Config,
  capture: { id: string; amount: number; currency: string; reason?: string | undefined },
  key: string,
): Promise<{ refundId: string }> {
  const what = "refund capture";
  const paypal = client(config);
  let response: Awaited<ReturnType<PayPalClient["request"]>>;
  try {
    response = await paypal.request(
      "POST",
      `/v2/payments/captures/${seg(capture.id)}/refund`,
      {
        body: {
          amount: {
            currency_code: capture.currency.toUpperCase(),
            value: toPayPalValue(capture.amount, capture.currency),
          },
          ...(capture.reason ? { note_to_payer: capture.reason.slice(0, 255) } : {}),
        },
        requestId: key,
      },
      what,
    );
  } catch {
    throw new ApiError("provider_outcome_unknown", "PayPal could not be reached");
  }
  const { status } = response;
  if (status >= 500 || status === 429) {
    throw new ApiError("provider_outcome_unknown", `PayPal answered ${status}`);
  }
  if (status < 200 || status >= 300) throw providerError(what, response);
  const refund = response.body as { id?: string } | null;
  if (!refund?.id) throw new ApiError("provider_error", "PayPal returned a refund without an id");
  return { refundId: refund.id };
}
