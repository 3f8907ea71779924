import type { Db } from "../db";
import { emailOutbox } from "../db/schema";
import type { Env } from "../env";
import { newId } from "../lib/ids";
import { type TemplateName, type TemplateVars, templates } from "./templates";

export interface OutboxEmail<T extends TemplateName> {
  userId: string | null;
  to: string;
  template: T;
  vars: TemplateVars<T>;
}

/**
 * The insert for one email, to put in the same D1 batch as the change that causes it: the
 * email exists exactly when the change does. Sending happens later, from the `emails` queue.
 */
export function outboxInsert<T extends TemplateName>(db: Db, email: OutboxEmail<T>, now: number) {
  const id = newId("eml");
  const render = templates[email.template] as (vars: TemplateVars<T>) => {
    subject: string;
    text: string;
  };
  const { subject, text } = render(email.vars);
  const statement = db.insert(emailOutbox).values({
    id,
    userId: email.userId,
    toAddress: email.to,
    template: email.template,
    subject,
    textBody: text,
    createdAt: now,
  });
  return { id, statement };
}

/** Hands committed outbox rows to the queue; a failed send is retried by the outbox sweep. */
export async function enqueueEmails(env: Env, outboxIds: string[]): Promise<void> {
  if (outboxIds.length === 0) return;
  try {
    await env.EMAILS.sendBatch(outboxIds.map((id) => ({ body: { outbox_id: id } })));
  } catch (error) {
    console.error(JSON.stringify({ msg: "email enqueue failed", outboxIds, error: String(error) }));
  }
}
