import { type NotifyInput, notify } from "../src/notifications/notify";
import { api, testContext } from "./helpers";

export interface NotificationBody {
  id: string;
  type: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
  read_at: string | null;
  created_at: string;
}

export interface NotificationPage {
  data: NotificationBody[];
  next_cursor: string | null;
}

/** A notification for the user, stored at `at` (ms), in-app only unless channels say more. */
export async function notifyAt(
  userId: string,
  at: number,
  input: Partial<NotifyInput> = {},
): Promise<string | null> {
  return notify(testContext(at), userId, {
    type: "system",
    title: `title at ${at}`,
    body: "body",
    channels: ["in_app"],
    ...input,
  });
}

export const listNotifications = (token: string, query = "") =>
  api<NotificationPage>("GET", `/v1/notifications${query}`, { token });

export const unreadCount = async (token: string) =>
  (await api<{ count: number }>("GET", "/v1/notifications/unread-count", { token })).body.count;
