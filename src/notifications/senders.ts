import { emailProvider } from "../email/providers";
import type { Config } from "../env";
import type { ChannelSender, Senders } from "./consumer";

/** A channel whose sender is not part of this deployment: its deliveries are skipped, saying so. */
const notConfigured: ChannelSender = async () => ({
  status: "skipped",
  reason: "channel_not_configured",
});

/** The senders the delivery queue uses. */
export function channelSenders(config: Config): Senders {
  return { email: emailProvider(config), sms: notConfigured, push: notConfigured };
}
