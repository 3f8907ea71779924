// Push: FCM HTTP v1 (https://firebase.google.com/docs/reference/fcm/rest/v1/projects.messages/send),
// one request per device token, or a log line in development (PUSH_PROVIDER=log).
import type { ServiceContext } from "../../lib/context";
import { type FcmAccount, fcmAccessToken, fcmAccount, forgetFcmToken } from "./fcm-auth";
import { member, permanentStatus, reach, readJson } from "./http";

export interface PushMessage {
  tokens: string[];
  title: string;
  body: string;
  /** Sent as FCM `data` (string values: anything else is sent as its JSON). */
  data?: Record<string, unknown>;
}

export interface PushFailure {
  token: string;
  error: string;
  /** Retrying cannot help (a 4xx other than 429 that does not mean the token is dead). */
  permanent: boolean;
}

export interface PushResult {
  /** Tokens FCM accepted the message for. */
  sent: string[];
  /** Tokens FCM says are gone (UNREGISTERED, 404, or INVALID_ARGUMENT for the token): remove them. */
  dead: string[];
  /** Tokens the send failed for otherwise. */
  failed: PushFailure[];
}

/**
 * Sends one notification to each token. Per-token outcomes are answered, not thrown; it throws
 * (ChannelError) only when nothing could be tried at all, e.g. the OAuth token was refused.
 */
export async function sendPush(
  ctx: Pick<ServiceContext, "config" | "now">,
  message: PushMessage,
): Promise<PushResult> {
  if (ctx.config.PUSH_PROVIDER === "log") {
    console.log(
      JSON.stringify({
        msg: "push",
        tokens: message.tokens.length,
        title: message.title,
        body: message.body,
      }),
    );
    return { sent: [...message.tokens], dead: [], failed: [] };
  }
  const result: PushResult = { sent: [], dead: [], failed: [] };
  if (message.tokens.length === 0) return result;
  const fcm = fcmAccount(ctx.config);
  const accessToken = await fcmAccessToken(fcm, ctx.now);
  const outcomes = await Promise.all(
    message.tokens.map((token) => sendOne(fcm, accessToken, token, message)),
  );
  message.tokens.forEach((token, i) => {
    const outcome = outcomes[i];
    if (outcome === "sent") result.sent.push(token);
    else if (outcome === "dead") result.dead.push(token);
    else if (outcome) result.failed.push({ token, ...outcome });
  });
  return result;
}

/** FCM's `data` holds strings only. */
function stringData(data: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(data ?? {})) {
    if (value !== undefined) out[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return out;
}

async function sendOne(
  fcm: FcmAccount,
  accessToken: string,
  token: string,
  message: PushMessage,
): Promise<"sent" | "dead" | { error: string; permanent: boolean }> {
  const project = encodeURIComponent(fcm.account.project_id);
  const url = `${fcm.apiBase}/v1/projects/${project}/messages:send`;
  let response: Response;
  try {
    response = await reach("FCM", url, {
      method: "POST",
      headers: { authorization: `Bearer ${accessToken}`, "content-type": "application/json" },
      body: JSON.stringify({
        message: {
          token,
          notification: { title: message.title, body: message.body },
          data: stringData(message.data),
        },
      }),
    });
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error), permanent: false };
  }
  const body = await readJson(response);
  if (response.ok) return "sent";
  if (deadToken(response.status, body)) return "dead";
  // Our access token was refused: the next send makes a new one.
  if (response.status === 401) forgetFcmToken(fcm);
  const status = member(member(body, "error"), "status");
  const code = fcmErrorCode(body);
  return {
    error:
      `FCM answered ${response.status} ${code ?? (typeof status === "string" ? status : "")}`.trim(),
    permanent: response.status !== 401 && permanentStatus(response.status),
  };
}

/** FCM's own error code (`UNREGISTERED`, `INVALID_ARGUMENT`, …) from the error's details. */
function fcmErrorCode(body: unknown): string | null {
  const details = member(member(body, "error"), "details");
  if (!Array.isArray(details)) return null;
  for (const detail of details) {
    const code = member(detail, "errorCode");
    if (typeof code === "string") return code;
  }
  return null;
}

/** Whether an error means the token itself is gone or was never valid. */
export function deadToken(status: number, body: unknown): boolean {
  const code = fcmErrorCode(body);
  if (status === 404 || code === "UNREGISTERED") return true;
  if (
    code !== "INVALID_ARGUMENT" &&
    member(member(body, "error"), "status") !== "INVALID_ARGUMENT"
  ) {
    return false;
  }
  // INVALID_ARGUMENT also answers a bad payload; only one about the token means the token.
  const error = member(body, "error");
  const message = member(error, "message");
  if (typeof message === "string" && /registration token/i.test(message)) return true;
  const details = member(error, "details");
  return (
    Array.isArray(details) &&
    details.some((detail) => {
      const violations = member(detail, "fieldViolations");
      return (
        Array.isArray(violations) && violations.some((v) => member(v, "field") === "message.token")
      );
    })
  );
}
