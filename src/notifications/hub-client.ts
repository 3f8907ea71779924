import { notificationHub as hub } from "../auth/session-end";
import type { Env } from "../env";
import type { NotificationView } from "./view";

// The module that talks to the NotificationHub objects (one per user), but for closing ended
// sessions' streams: auth, below notifications, does that in auth/session-end.ts.

/**
 * Opens a live stream for the user: the upgrade request goes to their hub, which keeps the
 * socket until the client closes it, `expiresAt` (the access token's expiry) passes or the
 * token's session ends.
 */
export function openStream(
  env: Env,
  userId: string,
  request: Request,
  token: { expiresAt: number; sessionId: string },
): Promise<Response> {
  const headers = new Headers({
    upgrade: "websocket",
    "x-stream-expires-at": String(token.expiresAt),
    "x-stream-session-id": token.sessionId,
  });
  return hub(env, userId).fetch(new Request(request.url, { headers }));
}

/**
 * A stored notification to every open socket of its user. After the commit, so it never throws:
 * a failed push is logged (the notification is in the list for the client's next fetch).
 */
export async function publishAfterCommit(
  env: Env,
  userId: string,
  notification: NotificationView,
): Promise<void> {
  try {
    await hub(env, userId).publish(notification);
  } catch (error) {
    console.error(
      JSON.stringify({
        msg: "notification not pushed to the stream",
        userId,
        notificationId: notification.id,
        error: String(error),
      }),
    );
  }
}
