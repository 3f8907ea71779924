// The live stream: a WebSocket per client through the user's NotificationHub object. A new
// notification reaches every open socket of its user (and no one else's); bad credentials are
// a 401 problem before any upgrade; a socket closes when its access token expires.
import {
  createExecutionContext,
  runDurableObjectAlarm,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import worker from "../src/index";
import { TOKEN_EXPIRED_CLOSE } from "../src/notifications/hub";
import { logout } from "./auth-helpers";
import { expectProblem, send, signup, type TestUser } from "./helpers";
import { listNotifications, notifyAt } from "./notifications-helpers";

const hubOf = (userId: string) => env.NOTIFICATION_HUB.get(env.NOTIFICATION_HUB.idFromName(userId));

function streamRequest(query: string, headers: Record<string, string> = {}): Request {
  return new Request(`https://api.test/v1/notifications/stream${query}`, {
    headers: { upgrade: "websocket", ...headers },
  });
}

/** Opens a stream as a client does and answers its accepted socket and what it receives. */
async function openStream(request: Request) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(request, env, ctx);
  await waitOnExecutionContext(ctx);
  expect(res.status).toBe(101);
  const socket = res.webSocket;
  if (!socket) throw new Error("no websocket in the 101");
  socket.accept();
  const messages: unknown[] = [];
  const waiters: (() => void)[] = [];
  socket.addEventListener("message", (event) => {
    if (event.data === "pong") return;
    messages.push(JSON.parse(String(event.data)));
    for (const wake of waiters.splice(0)) wake();
  });
  const closed = new Promise<CloseEvent>((resolve) => socket.addEventListener("close", resolve));
  /** Resolves once `n` messages have arrived. */
  const received = async (n: number) => {
    while (messages.length < n) await new Promise<void>((wake) => waiters.push(wake));
    return messages;
  };
  return { socket, messages, received, closed };
}

const byQuery = (user: TestUser) => streamRequest(`?access_token=${user.accessToken}`);

describe("GET /v1/notifications/stream", () => {
  it("pushes a new notification to every open socket of the user, and only theirs", async () => {
    const user = await signup();
    const other = await signup("other");
    const first = await openStream(byQuery(user));
    const second = await openStream(
      streamRequest("", { authorization: `Bearer ${user.accessToken}` }),
    );
    const others = await openStream(byQuery(other));

    const id = await notifyAt(user.id, Date.now(), { title: "Payment failed", data: { n: 1 } });
    const expected = {
      type: "notification",
      notification: expect.objectContaining({ id, title: "Payment failed", data: { n: 1 } }),
    };
    expect(await first.received(1)).toEqual([expected]);
    expect(await second.received(1)).toEqual([expected]);

    // The other user's socket got nothing: a notification for them arrives as its first message.
    const theirs = await notifyAt(other.id, Date.now());
    const [message] = await others.received(1);
    expect(message).toMatchObject({ notification: { id: theirs } });
    expect(first.messages).toHaveLength(1);
  });

  it("wakes no hub for a user without a stream; a failed push never fails the notify", async () => {
    const user = await signup();
    const get = vi.spyOn(env.NOTIFICATION_HUB, "get");
    expect(await notifyAt(user.id, Date.now())).toMatch(/^ntf_/);
    expect(get).not.toHaveBeenCalled();

    await openStream(byQuery(user));
    get.mockClear();
    get.mockImplementation(() => {
      throw new Error("hub unavailable");
    });
    const id = await notifyAt(user.id, Date.now(), { title: "still stored" });
    expect(id).toMatch(/^ntf_/);
    expect(get).toHaveBeenCalledOnce();
    const listed = await listNotifications(user.accessToken);
    expect(listed.body.data.map((n) => n.id)).toContain(id);
  });

  it("answers ping with pong", async () => {
    const user = await signup();
    const stream = await openStream(byQuery(user));
    const pong = new Promise((resolve) =>
      stream.socket.addEventListener("message", (e) => resolve(e.data)),
    );
    stream.socket.send("ping");
    expect(await pong).toBe("pong");
  });

  it("a notification not wanted in-app is not pushed", async () => {
    const user = await signup();
    const stream = await openStream(byQuery(user));
    await notifyAt(user.id, Date.now(), { type: "renewal", channels: ["email"] });
    const shown = await notifyAt(user.id, Date.now(), { title: "shown" });
    expect(await stream.received(1)).toEqual([
      { type: "notification", notification: expect.objectContaining({ id: shown }) },
    ]);
  });

  it("refuses a bad or missing token, an ended session and an API key with a 401, before upgrading", async () => {
    const user = await signup();
    expectProblem(await send(streamRequest("")), 401, "unauthorized");
    expectProblem(await send(streamRequest("?access_token=nope")), 401, "invalid_token");
    expectProblem(
      await send(streamRequest("", { authorization: "Bearer nope" })),
      401,
      "invalid_token",
    );
    const key = await send<{ key: string }>(
      new Request("https://api.test/v1/me/api-keys", {
        method: "POST",
        headers: {
          authorization: `Bearer ${user.accessToken}`,
          "content-type": "application/json",
        },
        body: JSON.stringify({ name: "server" }),
      }),
    );
    expect(key.status, key.text).toBe(201);
    expectProblem(
      await send(streamRequest("", { authorization: `Bearer ${key.body.key}` })),
      401,
      "invalid_token",
    );
    await logout(user.refreshToken);
    expectProblem(await send(byQuery(user)), 401, "invalid_token");
    expect(await hubOf(user.id).openSockets()).toBe(0);
  });

  it("without Upgrade: websocket is a 426 problem", async () => {
    const user = await signup();
    const res = await send(
      new Request("https://api.test/v1/notifications/stream", {
        headers: { authorization: `Bearer ${user.accessToken}` },
      }),
    );
    expectProblem(res, 426, "upgrade_required");
    expect(res.headers.get("upgrade")).toBe("websocket");
  });

  it("closes a socket when its access token expires (the hub's alarm)", async () => {
    const user = await signup();
    const stream = await openStream(byQuery(user));
    const hub = hubOf(user.id);
    const alarm = await runInDurableObject(hub, async (_instance, state) => {
      const [socket] = state.getWebSockets();
      if (!socket) throw new Error("no socket in the hub");
      const { expiresAt } = socket.deserializeAttachment() as { expiresAt: number };
      // The access token's own expiry (15 minutes from its issue), in force at the alarm.
      expect(expiresAt).toBeGreaterThan(Date.now() + 14 * 60_000);
      const at = await state.storage.getAlarm();
      socket.serializeAttachment({ expiresAt: Date.now() - 1 });
      return at;
    });
    expect(alarm).toBeGreaterThan(Date.now());
    expect(await runDurableObjectAlarm(hub)).toBe(true);
    const closed = await stream.closed;
    expect(closed.code).toBe(TOKEN_EXPIRED_CLOSE);
    expect(await hub.openSockets()).toBe(0);
  });
});
