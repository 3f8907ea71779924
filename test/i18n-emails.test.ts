// Emails in the recipient's language: the request's at sign-up (kept as the user's locale), the
// user's stored locale afterwards, English when none was chosen.
import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { openDb } from "../src/db";
import { guardedEmail } from "../src/email/outbox";
import { renderEmail } from "../src/email/templates";
import { api, uniqueEmail } from "./helpers";

interface Mail {
  template: string;
  subject: string;
  text_body: string;
}

async function mailsTo(address: string): Promise<Mail[]> {
  const { results } = await env.DB.prepare(
    "select template, subject, text_body from email_outbox where to_address = ? order by created_at, rowid",
  )
    .bind(address)
    .all<Mail>();
  return results;
}

async function signupIn(headers: Record<string, string>) {
  const email = uniqueEmail("idioma");
  const res = await api<{ user: { id: string } }>("POST", "/v1/auth/signup", {
    body: { email, password: "correct horse battery staple" },
    headers,
  });
  expect(res.status, res.text).toBe(201);
  const row = await env.DB.prepare("select locale from users where id = ?")
    .bind(res.body.user.id)
    .first<{ locale: string | null }>();
  return { id: res.body.user.id, email, locale: row?.locale };
}

describe("emails in the recipient's language", () => {
  it("sign-up mails in the request's language and keeps it as the user's", async () => {
    const spanish = await signupIn({ "accept-language": "es-ES,es;q=0.9" });
    expect(spanish.locale).toBe("es");
    const [verify] = await mailsTo(spanish.email);
    expect(verify?.template).toBe("verify_email");
    expect(verify?.subject).toBe("Confirme su dirección de correo electrónico");
    expect(verify?.text_body).toMatch(/^Le damos la bienvenida a tollgate\./);
    expect(verify?.text_body).toMatch(/verify-email\?token=[\w-]+/);

    const english = await signupIn({});
    expect(english.locale).toBeNull();
    expect((await mailsTo(english.email))[0]?.subject).toBe("Confirm your email address");

    // A language we do not have is not kept: the user has chosen none.
    const french = await signupIn({ "accept-language": "fr" });
    expect(french.locale).toBeNull();
    expect((await mailsTo(french.email))[0]?.subject).toBe("Confirm your email address");
  });

  it("later emails follow the stored locale, whatever the request asks", async () => {
    const user = await signupIn({ "accept-language": "es" });
    const res = await api("POST", "/v1/auth/password/forgot", {
      body: { email: user.email },
      headers: { "accept-language": "en" },
    });
    expect(res.status).toBe(202);
    const reset = (await mailsTo(user.email)).find((m) => m.template === "password_reset");
    expect(reset?.subject).toBe("Restablezca su contraseña");
  });

  it("an email decided in SQL (cron, dunning) picks the user's language in the same statement", async () => {
    const db = openDb(env.DB);
    const spanish = await signupIn({ "accept-language": "es" });
    const english = await signupIn({});
    const now = Date.now();
    for (const user of [spanish, english]) {
      const email = guardedEmail(
        db,
        { userId: user.id, template: "access_suspended", vars: { plan: "Pro" }, when: sql`1 = 1` },
        now,
      );
      const [inserted] = await db.batch([email.statement]);
      expect(inserted).toEqual([{ id: email.id }]);
    }
    const es = (await mailsTo(spanish.email)).find((m) => m.template === "access_suspended");
    expect(es?.subject).toBe("Su acceso está suspendido");
    expect(es?.text_body).toContain("Su suscripción Pro lleva demasiado tiempo sin pagarse");
    const en = (await mailsTo(english.email)).find((m) => m.template === "access_suspended");
    expect(en?.subject).toBe("Your access is suspended");
  });

  it("dates and a missing plan name read naturally in each language", () => {
    const at = Date.parse("2026-11-20T12:00:00Z");
    expect(renderEmail("trial_ending", "es", { plan: null, trialEnd: at }).text).toMatch(
      /^Su prueba del plan de pago termina el 20 de noviembre de 2026\./,
    );
    expect(renderEmail("trial_ending", "en", { plan: "Pro", trialEnd: at }).text).toMatch(
      /^Your Pro trial ends on November 20, 2026\./,
    );
    expect(renderEmail("trial_ending", "es", { plan: "Pro", trialEnd: null }).text).toMatch(
      /^Su prueba del plan Pro termina pronto\./,
    );
  });
});
