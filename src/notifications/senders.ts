import { emailProvider } from "../email/providers";
import type { Config } from "../env";
import { deliverPush, deliverSms } from "./channels/deliver";
import type { Senders } from "./consumer";

/** The senders the delivery queue uses: the outbox's email provider, Twilio or FCM (or logs). */
export function channelSenders(config: Config): Senders {
  return { email: emailProvider(config), sms: deliverSms, push: deliverPush };
}
