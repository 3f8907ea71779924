import type { Config } from "../env";

export interface OutgoingEmail {
  from: string;
  to: string;
  subject: string;
  text: string;
}

export interface EmailProvider {
  /** Returns the provider's message id. Throws PermanentEmailError when retrying cannot help. */
  send(email: OutgoingEmail): Promise<string>;
}

export class PermanentEmailError extends Error {}

/** Development and tests: the email is a log line (the token is in the outbox too). */
export const logProvider: EmailProvider = {
  async send(email) {
    console.log(
      JSON.stringify({ msg: "email", to: email.to, subject: email.subject, text: email.text }),
    );
    return `log_${crypto.randomUUID()}`;
  },
};

/** Resend's HTTP API (https://resend.com/docs/api-reference/emails/send-email). */
export function resendProvider(baseUrl: string, apiKey: string): EmailProvider {
  return {
    async send(email) {
      // Relative to the base URL, so a base with a path (a relay, a fake) keeps it.
      const endpoint = new URL("emails", baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`);
      const response = await fetch(endpoint, {
        method: "POST",
        headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
        body: JSON.stringify({
          from: email.from,
          to: [email.to],
          subject: email.subject,
          text: email.text,
        }),
      });
      const body = await response.text();
      if (!response.ok) {
        const message = `resend answered ${response.status}: ${body.slice(0, 200)}`;
        // 4xx other than 429 means the request itself is wrong: retrying sends the same thing.
        if (response.status >= 400 && response.status < 500 && response.status !== 429) {
          throw new PermanentEmailError(message);
        }
        throw new Error(message);
      }
      const parsed: unknown = JSON.parse(body);
      if (parsed && typeof parsed === "object" && "id" in parsed && typeof parsed.id === "string") {
        return parsed.id;
      }
      throw new Error("resend answered without an id");
    },
  };
}

export function emailProvider(config: Config): EmailProvider {
  if (config.EMAIL_PROVIDER === "resend" && config.EMAIL_API_KEY) {
    return resendProvider(config.EMAIL_API_BASE_URL, config.EMAIL_API_KEY);
  }
  return logProvider;
}
