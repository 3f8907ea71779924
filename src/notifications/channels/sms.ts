// SMS: Twilio's Messages API over fetch (https://www.twilio.com/docs/messaging/api/message-resource),
// or a log line in development (SMS_PROVIDER=log).
import type { Config } from "../../env";
import type { ServiceContext } from "../../lib/context";
import { ChannelError, member, permanentStatus, reach, readJson } from "./http";

export interface SmsMessage {
  /** E.164, e.g. +14155550123. */
  to: string;
  body: string;
}

export interface SmsResult {
  /** The provider's message id (Twilio's `SM…` sid; `log_…` in development). */
  id: string;
}

/** Sends one SMS. Throws ChannelError (`permanent` when retrying cannot help). */
export async function sendSms(
  ctx: Pick<ServiceContext, "config">,
  message: SmsMessage,
): Promise<SmsResult> {
  const { config } = ctx;
  if (config.SMS_PROVIDER === "log") {
    console.log(JSON.stringify({ msg: "sms", to: message.to, body: message.body }));
    return { id: `log_${crypto.randomUUID()}` };
  }
  return sendTwilio(config, message);
}

async function sendTwilio(config: Config, message: SmsMessage): Promise<SmsResult> {
  const sid = config.TWILIO_ACCOUNT_SID;
  const token = config.TWILIO_AUTH_TOKEN;
  // loadConfig refuses SMS_PROVIDER=twilio without these; this keeps the types honest.
  if (!sid || !token) throw new ChannelError("Twilio is not configured", true);
  const form = new URLSearchParams({ To: message.to, Body: message.body });
  if (config.TWILIO_MESSAGING_SERVICE_SID) {
    form.set("MessagingServiceSid", config.TWILIO_MESSAGING_SERVICE_SID);
  } else if (config.TWILIO_FROM) {
    form.set("From", config.TWILIO_FROM);
  }
  const base = config.TWILIO_API_BASE_URL.replace(/\/+$/, "");
  const url = `${base}/2010-04-01/Accounts/${encodeURIComponent(sid)}/Messages.json`;
  const response = await reach("Twilio", url, {
    method: "POST",
    headers: {
      authorization: `Basic ${btoa(`${sid}:${token}`)}`,
      "content-type": "application/x-www-form-urlencoded",
      accept: "application/json",
    },
    body: form.toString(),
  });
  const body = await readJson(response);
  if (!response.ok) {
    // Twilio's errors: { code: 21211, message: "...", status: 400, more_info: "..." }.
    const code = field(body, "code");
    const detail = field(body, "message");
    throw new ChannelError(
      `Twilio answered ${response.status}${code ? ` (error ${code})` : ""}${detail ? `: ${detail.slice(0, 200)}` : ""}`,
      permanentStatus(response.status),
    );
  }
  const id = field(body, "sid");
  if (!id) throw new ChannelError("Twilio answered without a message sid", false);
  return { id };
}

function field(body: unknown, name: string): string | null {
  const value = member(body, name);
  return typeof value === "string" || typeof value === "number" ? String(value) : null;
}
