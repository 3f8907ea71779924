// One notification to one user on SMS or push: where it goes (the profile's phone, the user's
// devices), the send, and what the answer means (dead tokens are forgotten at once).
import { eq } from "drizzle-orm";
import { users } from "../../db/schema";
import type { ServiceContext } from "../../lib/context";
import { deviceTokens, removeDeadTokens } from "../devices";
import { ChannelError } from "./http";
import { sendPush } from "./push";
import { sendSms } from "./sms";

export interface ChannelMessage {
  title: string;
  body: string;
  data?: Record<string, unknown>;
}

/** What a delivery came to; a failure is thrown as ChannelError (`permanent` or retried). */
export type ChannelOutcome =
  | { status: "sent"; providerId: string }
  | { status: "skipped"; reason: string };

/** Twilio's limit for one message body (it splits it into segments). */
const SMS_MAX_CHARS = 1600;

/** The SMS text: the title, then the body. */
export function smsText(message: ChannelMessage): string {
  const text = message.title ? `${message.title}\n${message.body}` : message.body;
  return text.length > SMS_MAX_CHARS ? `${text.slice(0, SMS_MAX_CHARS - 1)}…` : text;
}

/** To the phone on the user's profile; skipped without one. */
export async function deliverSms(
  ctx: Pick<ServiceContext, "db" | "config">,
  userId: string,
  message: ChannelMessage,
): Promise<ChannelOutcome> {
  const [user] = await ctx.db
    .select({ phone: users.phone })
    .from(users)
    .where(eq(users.id, userId))
    .limit(1);
  if (!user?.phone) return { status: "skipped", reason: "no phone number on the profile" };
  const { id } = await sendSms(ctx, { to: user.phone, body: smsText(message) });
  return { status: "sent", providerId: id };
}

/**
 * To every device of the user; skipped without one. Tokens FCM reports dead are forgotten.
 * Sent when at least one device got it (`providerId` says how many of how many); otherwise
 * a retryable failure is thrown for a retry, a permanent one as permanent, and a push whose
 * every token was dead is skipped.
 */
export async function deliverPush(
  ctx: Pick<ServiceContext, "db" | "config" | "now">,
  userId: string,
  message: ChannelMessage,
): Promise<ChannelOutcome> {
  const tokens = await deviceTokens(ctx.db, userId);
  if (tokens.length === 0) return { status: "skipped", reason: "no devices registered" };
  const result = await sendPush(ctx, { tokens, ...message });
  await removeDeadTokens(ctx, userId, result.dead);
  if (result.sent.length > 0) {
    return { status: "sent", providerId: `fcm:${result.sent.length}/${tokens.length} devices` };
  }
  const [failure] = [...result.failed].sort((a, b) => Number(a.permanent) - Number(b.permanent));
  if (failure) throw new ChannelError(failure.error, failure.permanent);
  return { status: "skipped", reason: "every device token was dead (removed)" };
}
