import type { Env } from "../env";
import { type Pusher, revokeSessionsAfterCommit } from "../ratelimit/client";

/**
 * A user's NotificationHub (the live stream's object). notifications/hub-client.ts talks to it
 * for everything else; ending sessions is auth's, a layer below, so the stub is made here.
 */
export function notificationHub(env: Env, userId: string) {
  return env.NOTIFICATION_HUB.get(env.NOTIFICATION_HUB.idFromName(userId));
}

/**
 * The one hook after a commit that ended sessions (logout, reuse of a refresh token, password
 * reset or change, an account disabled or deleted): their access tokens stop working at once
 * (the user's RateLimiter refuses them) and the live streams opened with them close (code
 * 4001). `streams: "all"` closes every stream of the user (the account is gone). Never throws:
 * a failed push is logged; the tokens and streams then end when the tokens expire.
 */
export async function endSessionsAfterCommit(
  pusher: Pusher,
  userId: string,
  sessionIds: string[],
  streams: "sessions" | "all" = "sessions",
): Promise<void> {
  await revokeSessionsAfterCommit(pusher, userId, sessionIds);
  if (streams === "sessions" && sessionIds.length === 0) return;
  try {
    await notificationHub(pusher.env, userId).closeSessions(streams === "all" ? "all" : sessionIds);
  } catch (error) {
    console.error(
      JSON.stringify({
        msg: "streams of ended sessions not closed",
        origin: pusher.origin ?? "unknown",
        user: userId,
        error: String(error),
      }),
    );
  }
}
