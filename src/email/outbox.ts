import { and, eq, type SQL, sql } from "drizzle-orm";
import type { Db } from "../db";
import { emailOutbox, users } from "../db/schema";
import type { Env } from "../env";
import { DEFAULT_LOCALE, LOCALES, type Locale } from "../i18n";
import { newId } from "../lib/ids";
import { renderEmail, type TemplateName, type TemplateVars } from "./templates";

export interface OutboxEmail<T extends TemplateName> {
  userId: string | null;
  to: string;
  template: T;
  vars: TemplateVars<T>;
  /** The recipient's language: their stored locale (the request's at sign-up); null: English. */
  locale: Locale | null;
}

/**
 * The insert for one email, to put in the same D1 batch as the change that causes it: the
 * email exists exactly when the change does. Sending happens later, from the `emails` queue.
 */
export function outboxInsert<T extends TemplateName>(db: Db, email: OutboxEmail<T>, now: number) {
  const id = newId("eml");
  const { subject, text } = renderEmail(email.template, email.locale ?? DEFAULT_LOCALE, email.vars);
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

/**
 * An outbox email that is written only when `when` holds at commit time (and the user is
 * active), so a step taken twice, or by two runs at once, mails once. Put it in the same batch
 * as the change it announces, before that change (both then see the same prior state). Its
 * batch result is the inserted rows: `[{ id }]`, or `[]` when nothing was written. It is in the
 * user's stored language, picked by the same statement from the email in every language.
 */
export function guardedEmail<T extends TemplateName>(
  db: Db,
  email: { userId: string; template: T; vars: TemplateVars<T>; when: SQL },
  now: number,
) {
  const id = newId("eml");
  const rendered = LOCALES.map((locale) => ({
    locale,
    ...renderEmail(email.template, locale, email.vars),
  }));
  const inLocale = (part: "subject" | "text") =>
    sql`case ${users.locale} ${sql.join(
      rendered.map((r) => sql`when ${r.locale} then ${r[part]}`),
      sql` `,
    )} else ${rendered.find((r) => r.locale === DEFAULT_LOCALE)?.[part]} end`;
  const statement = db
    .insert(emailOutbox)
    .select(
      db
        .select({
          id: sql<string>`${id}`.as("id"),
          userId: users.id,
          toAddress: users.email,
          template: sql<string>`${email.template}`.as("template"),
          subject: sql<string>`${inLocale("subject")}`.as("subject"),
          textBody: sql<string>`${inLocale("text")}`.as("text_body"),
          status: sql<"pending">`'pending'`.as("status"),
          attempts: sql<number>`0`.as("attempts"),
          lastError: sql<null>`null`.as("last_error"),
          providerMessageId: sql<null>`null`.as("provider_message_id"),
          lastAttemptAt: sql<null>`null`.as("last_attempt_at"),
          lockedUntil: sql<null>`null`.as("locked_until"),
          createdAt: sql<number>`${now}`.as("created_at"),
          sentAt: sql<null>`null`.as("sent_at"),
        })
        .from(users)
        .where(and(eq(users.id, email.userId), eq(users.status, "active"), email.when)),
    )
    .returning({ id: emailOutbox.id });
  return { id, statement };
}
