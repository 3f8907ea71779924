import type { BroadcastMessage } from "../env";
import type { ServiceContext } from "../lib/context";
import { sendBroadcastPage } from "./broadcast";
import { deliveryBackoff } from "./consumer";

/** Each message notifies one page of its broadcast; a failed page comes back with backoff. */
export async function consumeBroadcasts(
  ctx: ServiceContext,
  batch: MessageBatch<BroadcastMessage>,
): Promise<void> {
  for (const message of batch.messages) {
    try {
      await sendBroadcastPage(ctx, message.body.broadcast_id);
      message.ack();
    } catch (error) {
      console.error(
        JSON.stringify({
          msg: "broadcast page failed",
          broadcast: message.body.broadcast_id,
          error: String(error),
        }),
      );
      message.retry(deliveryBackoff(message.attempts));
    }
  }
}
