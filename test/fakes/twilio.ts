// An in-memory Twilio Messages API at https://twilio.fake (TWILIO_API_BASE_URL in the test
// config): it checks the account's basic auth and the form like Twilio does, records every
// message, and answers Twilio's error shapes.
import { formOf, jsonResponse, routeFetch } from "./route-fetch";

export const TWILIO_BASE = "https://twilio.fake";
export const TWILIO_SID = "ACtest0000000000000000000000000000";
export const TWILIO_TOKEN = "twilio-test-auth-token";

export interface FakeSms {
  sid: string;
  to: string;
  from: string | null;
  messagingServiceSid: string | null;
  body: string;
}

const E164 = /^\+[1-9]\d{7,14}$/;

export class FakeTwilio {
  readonly messages: FakeSms[] = [];
  /** Every request, as received (method, path, form), rejected ones too. */
  readonly requests: { method: string; path: string; form: URLSearchParams }[] = [];
  private failures: { status: number; code: number; message: string }[] = [];

  install(): this {
    routeFetch(TWILIO_BASE, (request) => this.handle(request));
    return this;
  }

  /** The next message request fails with this Twilio error. */
  failNext(status: number, code: number, message = "failed by the test"): void {
    this.failures.push({ status, code, message });
  }

  private error(status: number, code: number, message: string): Response {
    return jsonResponse(status, {
      code,
      message,
      more_info: `https://www.twilio.com/docs/errors/${code}`,
      status,
    });
  }

  async handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const form = await formOf(request);
    this.requests.push({ method: request.method, path: url.pathname, form });
    const match = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(url.pathname);
    if (request.method !== "POST" || !match) {
      return this.error(404, 20404, "The requested resource was not found");
    }
    if (request.headers.get("authorization") !== `Basic ${btoa(`${TWILIO_SID}:${TWILIO_TOKEN}`)}`) {
      return this.error(401, 20003, "Authenticate");
    }
    if (decodeURIComponent(match[1] ?? "") !== TWILIO_SID) {
      return this.error(403, 20003, "Account sid does not match the credentials");
    }
    if (request.headers.get("content-type") !== "application/x-www-form-urlencoded") {
      return this.error(400, 20001, "Expected a form body");
    }
    const failure = this.failures.shift();
    if (failure) return this.error(failure.status, failure.code, failure.message);
    const to = form.get("To") ?? "";
    if (!E164.test(to)) return this.error(400, 21211, `The 'To' number ${to} is not valid.`);
    const body = form.get("Body") ?? "";
    if (!body) return this.error(400, 21602, "Message body is required.");
    const from = form.get("From");
    const messagingServiceSid = form.get("MessagingServiceSid");
    if (!from && !messagingServiceSid) {
      return this.error(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required");
    }
    const sid = `SM${crypto.randomUUID().replaceAll("-", "")}`;
    this.messages.push({ sid, to, from, messagingServiceSid, body });
    return jsonResponse(201, {
      sid,
      account_sid: TWILIO_SID,
      to,
      from,
      messaging_service_sid: messagingServiceSid,
      body,
      status: "queued",
    });
  }
}

/** A fresh fake Twilio, routed to from fetch until mocks are restored. */
export function installFakeTwilio(): FakeTwilio {
  return new FakeTwilio().install();
}
