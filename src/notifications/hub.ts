import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import type { NotificationView } from "./view";

/** What the stream sends: a new notification, as the list shows it. */
export interface StreamMessage {
  type: "notification";
  notification: NotificationView;
}

/**
 * Kept with each socket across hibernation: when its access token expires (epoch ms) and the
 * login session the token belongs to (absent on sockets opened before sessions were recorded).
 */
interface SocketAttachment {
  expiresAt: number;
  sessionId?: string;
}

/**
 * Close code for a socket whose access token has expired or whose session has ended: reconnect
 * with a fresh token (after a refresh, which fails for an ended session).
 */
export const TOKEN_EXPIRED_CLOSE = 4001;

/**
 * One object per user holding their open notification sockets, through the WebSocket
 * Hibernation API: an idle socket keeps no object in memory and bills no duration. Clients may
 * send "ping" and get "pong" without waking it. Each socket closes when the access token it was
 * opened with expires (an alarm), or at once when its session ends (closeSessions, after a
 * logout or a revocation); the client reconnects with its refreshed token.
 */
export class NotificationHub extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
  }

  /** The upgrade, from the Worker once it has authenticated the request (hub-client.ts). */
  override async fetch(request: Request): Promise<Response> {
    const expiresAt = Number(request.headers.get("x-stream-expires-at"));
    const sessionId = request.headers.get("x-stream-session-id");
    if (
      request.headers.get("upgrade") !== "websocket" ||
      !Number.isSafeInteger(expiresAt) ||
      !sessionId
    ) {
      return new Response("expected a websocket upgrade", { status: 426 });
    }
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment({ expiresAt, sessionId } satisfies SocketAttachment);
    await this.scheduleExpiry();
    return new Response(null, { status: 101, webSocket: client });
  }

  /** Sends a notification to every open socket; answers how many it reached. */
  async publish(notification: NotificationView): Promise<number> {
    const message = JSON.stringify({ type: "notification", notification } satisfies StreamMessage);
    let reached = 0;
    for (const socket of this.ctx.getWebSockets()) {
      try {
        socket.send(message);
        reached++;
      } catch {
        // Closing already; webSocketClose cleans up.
      }
    }
    return reached;
  }

  /**
   * Closes (code 4001) the sockets opened with a token of one of these sessions, or every socket
   * ("all": the account is disabled or deleted); answers how many it closed.
   */
  async closeSessions(sessionIds: string[] | "all"): Promise<number> {
    const ended = sessionIds === "all" ? null : new Set(sessionIds);
    let closed = 0;
    for (const socket of this.ctx.getWebSockets()) {
      const attachment = socket.deserializeAttachment() as SocketAttachment | null;
      if (ended && !(attachment?.sessionId && ended.has(attachment.sessionId))) continue;
      try {
        socket.close(TOKEN_EXPIRED_CLOSE, "session ended");
        closed++;
      } catch {
        // Already closed.
      }
    }
    await this.scheduleExpiry();
    return closed;
  }

  /** The number of open sockets (for tests and diagnostics). */
  async openSockets(): Promise<number> {
    return this.ctx.getWebSockets().length;
  }

  override async webSocketMessage(socket: WebSocket, message: string | ArrayBuffer): Promise<void> {
    // The stream is one-way; "ping" is answered without waking the object. Anything else is a
    // client error, said once, without closing.
    if (message !== "ping")
      socket.send(JSON.stringify({ type: "error", detail: "send only ping" }));
  }

  override async webSocketClose(socket: WebSocket, code: number, reason: string): Promise<void> {
    try {
      socket.close(code === 1005 ? 1000 : code, reason);
    } catch {
      // Already closed.
    }
    await this.scheduleExpiry();
  }

  override async webSocketError(): Promise<void> {
    await this.scheduleExpiry();
  }

  /** Closes the sockets whose token has expired, then waits for the next one. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    for (const socket of this.ctx.getWebSockets()) {
      if (expiryOf(socket) <= now) {
        try {
          socket.close(TOKEN_EXPIRED_CLOSE, "access token expired");
        } catch {
          // Already closed.
        }
      }
    }
    await this.scheduleExpiry();
  }

  /** The alarm at the earliest expiry of the open sockets, or none when none is open. */
  private async scheduleExpiry(): Promise<void> {
    const now = Date.now();
    const expiries = this.ctx
      .getWebSockets()
      .map(expiryOf)
      .filter((at) => at > now);
    if (expiries.length === 0) {
      await this.ctx.storage.deleteAlarm();
      return;
    }
    await this.ctx.storage.setAlarm(Math.min(...expiries));
  }
}

function expiryOf(socket: WebSocket): number {
  const attachment = socket.deserializeAttachment() as SocketAttachment | null;
  return attachment?.expiresAt ?? 0;
}
