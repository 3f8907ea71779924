// What the system-notices tests share: the notices a user got, with the channels each was queued
// on, read from D1.
import { env } from "cloudflare:workers";

export interface Notice {
  type: string;
  title: string;
  body: string;
  dedupe_key: string;
  channels: string;
}

/** The user's notifications, oldest first, each with its delivery channels ("push,sms"). */
export async function noticesOf(userId: string): Promise<Notice[]> {
  const { results } = await env.DB.prepare(
    `select n.type, n.title, n.body, n.dedupe_key,
            coalesce((select group_concat(channel, ',') from (select channel from notification_deliveries d where d.notification_id = n.id order by channel)), '') as channels
       from notifications n where n.user_id = ? order by n.created_at, n.rowid`,
  )
    .bind(userId)
    .all<Notice>();
  return results;
}

/** The dedupe keys' kinds (`payment_failed`, `canceled`, …), in order. */
export async function noticeKinds(userId: string): Promise<string[]> {
  return (await noticesOf(userId)).map((n) => n.dedupe_key.split(":")[0] ?? "");
}
